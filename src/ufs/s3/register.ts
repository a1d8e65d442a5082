import { registerUnderStore } from '../registry.js';

registerUnderStore({
  schemes: ['s3', 's3a'],
  description: 'Amazon S3 or an S3-compatible store (s3://bucket/dir or s3://bucket/ for the whole bucket)',
  create: async (uri, conf, options) => {
    // The AWS SDK loads only when an s3:// URI is first opened.
    const { createS3UnderStore } = await import('./s3-store.js');
    return createS3UnderStore(uri, conf, { readOnly: options.readOnly });
  },
});
