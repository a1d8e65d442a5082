/** Helpers for the web port tests: JSON over HTTP with undici, Prometheus text parsing. */
import { request } from 'undici';

export interface HttpAnswer<T> {
  readonly status: number;
  readonly body: T;
  readonly contentType: string;
}

export async function call<T = unknown>(
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  options: { body?: unknown; token?: string } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await request(url, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.body.text();
  const contentType = String(response.headers['content-type'] ?? '');
  return {
    status: response.statusCode,
    body: (contentType.includes('json') ? JSON.parse(text) : text) as T,
    contentType,
  };
}

/** Sum of every sample of a metric whose labels include the given ones. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) total += Number(match[3]);
  }
  return total;
}
