/** Kodo's JSON answers (through the SDK or undici) narrowed to plain fields at the boundary. */

export type Fields = Readonly<Record<string, unknown>>;

/** The answer as an object of fields (empty for anything else). */
export function fields(data: unknown): Fields {
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Fields) : {};
}

export function numberOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
