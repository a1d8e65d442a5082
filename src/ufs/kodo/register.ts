import { registerUnderStore } from '../registry.js';

registerUnderStore({
  schemes: ['kodo'],
  description:
    'Qiniu Kodo (kodo://bucket/dir; fs.kodo.accesskey/secretkey, tierfs.underfs.kodo.endpoint/downloadhost)',
  create: async (uri, conf, options) => {
    // The qiniu SDK loads only when a kodo:// URI is first opened.
    const { createKodoUnderStore } = await import('./kodo-store.js');
    return createKodoUnderStore(uri, conf, { readOnly: options.readOnly });
  },
});
