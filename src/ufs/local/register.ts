import { registerUnderStore } from '../registry.js';
import { LocalUnderStore } from './local-store.js';

registerUnderStore({
  schemes: ['file'],
  description: 'a local directory (file:///path or a plain path)',
  create: async (uri, _conf, options) => new LocalUnderStore({ root: uri.path, readOnly: options.readOnly }),
});
