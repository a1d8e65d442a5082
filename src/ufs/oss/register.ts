import { registerUnderStore } from '../registry.js';

registerUnderStore({
  schemes: ['oss'],
  description: 'Aliyun OSS (oss://bucket/dir or oss://bucket/ for the whole bucket)',
  create: async (uri, conf, options) => {
    // ali-oss loads only when an oss:// URI is first opened.
    const { createOssUnderStore } = await import('./oss-store.js');
    return createOssUnderStore(uri, conf, { readOnly: options.readOnly });
  },
});
