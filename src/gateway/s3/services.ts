/** What every handler works with. */
import type { AccessControl } from './access.js';
import type { Authenticator } from './auth.js';
import type { MultipartUploads } from './multipart.js';
import type { ObjectLayer } from './object-layer.js';

export interface GatewayServices {
  readonly layer: ObjectLayer;
  readonly uploads: MultipartUploads;
  readonly access: AccessControl;
  /** For the requests that carry their credentials in the body (POST object forms). */
  readonly authenticator: Authenticator;
}
