/** Qiniu's URL-safe base64: standard base64 with `+` → `-` and `/` → `_`, padding kept. */

export function toUrlSafeBase64(data: Buffer | string): string {
  return (typeof data === 'string' ? Buffer.from(data) : data)
    .toString('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}

/** Decodes URL-safe (or standard) base64, with or without padding; undefined when malformed. */
export function fromUrlSafeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9\-_+/]*={0,2}$/.test(text)) return undefined;
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
