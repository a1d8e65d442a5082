/** How the web UI writes sizes, durations, times and shares. */
import { formatBytes } from '../config/types.js';

export { formatBytes };

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const parts = [
    s >= 86400 ? `${Math.floor(s / 86400)}d` : '',
    s >= 3600 ? `${Math.floor((s % 86400) / 3600)}h` : '',
    s >= 60 ? `${Math.floor((s % 3600) / 60)}m` : '',
    `${s % 60}s`,
  ];
  return parts.filter(Boolean).join(' ');
}

/** `2026-12-07 04:39:36 UTC`; with milliseconds, `2026-12-07 04:39:36.123 UTC`. */
export function formatTime(ms: number, milliseconds = false): string {
  const iso = new Date(ms).toISOString().replace('T', ' ');
  return milliseconds ? iso.replace(/Z$/, ' UTC') : iso.replace(/\.\d+Z$/, ' UTC');
}

export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return '–';
  const value = (100 * part) / whole;
  return `${value >= 10 || value === 0 ? value.toFixed(0) : value.toFixed(1)}%`;
}
