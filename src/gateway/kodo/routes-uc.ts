/**
 * The uc region query the SDK makes when no zone is configured (`GET /v4/query?ak=&bucket=`):
 * every service of the answer is this gateway, at the address the client reached it by.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KodoGatewayContext } from './context.js';
import { badRequest, sendJson } from './errors.js';

const ONE_DAY_S = 86_400;

export async function handleRegionQuery(
  ctx: KodoGatewayContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const bucket = url.searchParams.get('bucket');
  if (!bucket || !url.searchParams.get('ak')) throw badRequest('ak and bucket are required');
  await ctx.backend.requireBucket(bucket);
  const self = { domains: [req.headers.host ?? ''] };
  sendJson(res, 200, {
    hosts: [
      {
        region: ctx.region,
        ttl: ONE_DAY_S,
        up: { ...self, acc_domains: [] },
        io: self,
        rs: self,
        rsf: self,
        api: self,
        uc: self,
        s3: { domains: [], region_alias: ctx.region },
      },
    ],
  });
}
