import { existsSync } from 'node:fs';

/** CLI and example tests run the built package; `npm test` builds it first. */
export default function setup(): void {
  if (!existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does this) before vitest');
  }
}
