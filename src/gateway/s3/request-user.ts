/**
 * The user an S3 request was authenticated as, for the code the request's handler runs (a
 * backend that acts in another system as that user, such as the namespace gateway's): set by the
 * gateway around every handler, and by a form upload once its policy is verified. Outside a
 * request there is none.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export const requestUser = new AsyncLocalStorage<string>();

/** The user of the request being handled, if any. */
export function currentRequestUser(): string | undefined {
  return requestUser.getStore();
}
