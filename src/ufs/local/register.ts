import { UNDERFS_LOCAL_PARTIAL_CLEAN_AGE } from '../../config/keys/underfs.js';
import { registerUnderStore } from '../registry.js';
import { LocalUnderStore } from './local-store.js';

registerUnderStore({
  schemes: ['file'],
  description: 'a local directory (file:///path or a plain path)',
  create: async (uri, conf, options) =>
    new LocalUnderStore({
      root: uri.path,
      readOnly: options.readOnly,
      partialCleanAgeMs: conf.get(UNDERFS_LOCAL_PARTIAL_CLEAN_AGE),
    }),
});
