/** The answer to a finished upload: `{"hash","key"}`, or the put policy's `returnBody` rendered. */
import type { PutPolicy } from './auth.js';
import type { KodoObject } from './backend.js';

export interface UploadFacts {
  readonly fname: string;
  /** `x:<name>` custom variables sent with the upload. */
  readonly customVars: ReadonlyMap<string, string>;
}

/** Text to put inside a JSON string (returnBody templates are JSON with `$(var)` in strings). */
const inString = (value: string): string => JSON.stringify(value).slice(1, -1);

export function uploadResult(policy: PutPolicy, object: KodoObject, facts: UploadFacts): unknown {
  if (policy.returnBody === undefined) return { hash: object.hash, key: object.key };
  const variables: Record<string, string> = {
    bucket: inString(object.bucket),
    key: inString(object.key),
    etag: inString(object.hash),
    hash: inString(object.hash),
    fsize: String(object.size),
    mimeType: inString(object.mimeType),
    fname: inString(facts.fname),
    endUser: inString(policy.endUser ?? ''),
  };
  const rendered = policy.returnBody.replace(/\$\(([^)]+)\)/g, (whole, name: string) => {
    if (name.startsWith('x:')) return inString(facts.customVars.get(name) ?? '');
    return variables[name] ?? whole;
  });
  try {
    return JSON.parse(rendered) as unknown;
  } catch {
    return rendered;
  }
}
