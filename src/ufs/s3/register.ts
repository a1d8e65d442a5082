import { driverLoaded, registerUnderStore } from '../registry.js';

const SCHEMES = ['s3', 's3a'];

async function load() {
  const driver = await import('./s3-store.js');
  driverLoaded(SCHEMES);
  return driver;
}

registerUnderStore({
  schemes: SCHEMES,
  description: 'Amazon S3 or an S3-compatible store (s3://bucket/dir or s3://bucket/ for the whole bucket)',
  create: async (uri, conf, options) => {
    // The AWS SDK loads only when an s3:// URI is first opened.
    const { createS3UnderStore } = await load();
    return createS3UnderStore(uri, conf, { readOnly: options.readOnly });
  },
  preload: async () => {
    await load();
  },
});
