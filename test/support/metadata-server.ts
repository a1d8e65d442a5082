/**
 * A local EC2 instance metadata service (IMDSv2) that hands out one role's credentials, for the
 * instance-profile step of the S3 credential chain (AWS_EC2_METADATA_SERVICE_ENDPOINT points the
 * SDK at it). It speaks the paths and JSON the real service does.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetadataServer {
  readonly endpoint: string;
  /** Requests served, e.g. `PUT /latest/api/token`. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startMetadataServer(
  accessKeyId: string,
  secretAccessKey: string,
): Promise<MetadataServer> {
  const role = 'tierfs-test-role';
  const token = 'imds-session-token';
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      res.end(token);
      return;
    }
    if (req.headers['x-aws-ec2-metadata-token'] !== token) {
      res.writeHead(401).end();
      return;
    }
    const base = '/latest/meta-data/iam/security-credentials/';
    if (req.url === base) {
      res.end(role);
    } else if (req.url === `${base}${role}`) {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          Code: 'Success',
          Type: 'AWS-HMAC',
          AccessKeyId: accessKeyId,
          SecretAccessKey: secretAccessKey,
          Token: 'instance-session-token',
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
          LastUpdated: new Date().toISOString(),
        }),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
