/**
 * JSON over HTTP between tierfs processes, on undici's pooled keep-alive client. A `{code,
 * message}` error body becomes the TierfsError it was on the other side; a refused or reset
 * connection a retryable UNAVAILABLE naming the address.
 */
import { request } from 'undici';
import { ERROR_CODES, type ErrorCode, TierfsError } from '../errors.js';

export async function callJson<T>(
  method: 'GET' | 'POST',
  url: string,
  options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<T> {
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, {
      method,
      headers: { 'content-type': 'application/json', ...options.headers },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      headersTimeout: options.timeoutMs ?? 60_000,
      bodyTimeout: options.timeoutMs ?? 60_000,
    });
  } catch (error) {
    throw new TierfsError('UNAVAILABLE', `cannot reach ${new URL(url).origin}: ${(error as Error).message}`, {
      cause: error,
      retryable: true,
    });
  }
  const text = await response.body.text();
  if (response.statusCode >= 400) throw errorFromBody(response.statusCode, text, url);
  return (text === '' ? {} : JSON.parse(text)) as T;
}

export function errorFromBody(status: number, text: string, url: string): TierfsError {
  try {
    const parsed = JSON.parse(text) as { code?: string; message?: string };
    if (parsed.code && parsed.message && parsed.code in ERROR_CODES) {
      return new TierfsError(parsed.code as ErrorCode, parsed.message);
    }
  } catch {
    // Not one of ours: describe the status below.
  }
  return new TierfsError(
    status >= 500 ? 'UNAVAILABLE' : 'INTERNAL',
    `${url} answered ${status}: ${text.slice(0, 200)}`,
  );
}
