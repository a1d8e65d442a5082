import { describe, expect, it } from 'vitest';
import { parseXml } from './xml.js';

describe('parseXml', () => {
  it('decodes character references, as Go clients (rclone) write the quotes around ETags', () => {
    const body =
      '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&#34;abc&#34;</ETag></Part>' +
      '<Part><PartNumber>2</PartNumber><ETag>&quot;def&quot;</ETag></Part></CompleteMultipartUpload>';
    expect(JSON.stringify(parseXml(body, 'CompleteMultipartUpload'))).toContain('"\\"abc\\""');
    expect(JSON.stringify(parseXml(body, 'CompleteMultipartUpload'))).toContain('"\\"def\\""');
  });
});
