/** What every handler works with. */
import type { AccessControl } from './access.js';
import type { MultipartUploads } from './multipart.js';
import type { ObjectLayer } from './object-layer.js';

export interface GatewayServices {
  readonly layer: ObjectLayer;
  readonly uploads: MultipartUploads;
  readonly access: AccessControl;
}
