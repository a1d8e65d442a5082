import { createRequire } from 'node:module';
import type { Document, Node } from 'yaml';
import type { ConfigEntry } from './properties-file.js';

let loaded: typeof import('yaml') | undefined;
/** The yaml package, loaded on first use: most commands never read a YAML file. */
function yaml(): typeof import('yaml') {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return loaded;
}

/**
 * Reads a YAML configuration file (Flink's `config.yaml` style) into flat entries.
 *
 * - Flat keys (`fs.oss.endpoint: http://x`) and nested maps (`fs: {oss: {endpoint: x}}`) both give
 *   `fs.oss.endpoint`; the two styles may be mixed. An empty nested map gives no entry.
 * - Scalars keep their source text, so `0700` stays `0700`, `64MB` stays `64MB` and `true` stays
 *   `true` (quoted scalars give their unquoted content, block scalars their folded text).
 * - A sequence of scalars becomes a comma-joined string (`[a, b]` → `a,b`); `null`, `~` and an empty
 *   value become ''.
 * - Each entry carries the 1-based line of its (innermost) key.
 * - Entries are returned in document order; when flat and nested spellings give the same key, all are
 *   returned and the consumer decides. A key repeated literally in one map is a YAML error.
 * - An empty document (or one holding only comments) gives no entries; any other top level that is
 *   not a map throws.
 */
export function parseYamlConfig(text: string): ConfigEntry[] {
  const lineCounter = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line;

  const [error] = doc.errors;
  if (error) throw new Error(`YAML syntax error at line ${lineOf(error.pos[0])}: ${error.message}`);

  const root = doc.contents;
  if (root === null || (yaml().isScalar(root) && root.value === null)) return [];
  if (!yaml().isMap(root)) {
    const found = yaml().isSeq(root) ? 'a sequence' : 'a scalar';
    throw new Error(
      `YAML configuration must be a map of keys to values at the top level, found ${found} at line ${lineOf(root.range?.[0] ?? 0)}`,
    );
  }

  const entries: ConfigEntry[] = [];
  flatten(doc, root, '', entries, lineOf);
  return entries;
}

type LineOf = (offset: number) => number;

function resolve(doc: Document, node: unknown): unknown {
  return yaml().isAlias(node) ? node.resolve(doc) : node;
}

function offsetOf(node: unknown): number {
  return (node as Node | null)?.range?.[0] ?? 0;
}

function scalarText(node: unknown): string | undefined {
  if (node === null || node === undefined) return '';
  if (!yaml().isScalar(node)) return undefined;
  if (node.value === null || node.value === undefined) return '';
  return node.source ?? String(node.value);
}

function flatten(doc: Document, map: unknown, prefix: string, entries: ConfigEntry[], lineOf: LineOf): void {
  if (!yaml().isMap(map)) return;
  for (const pair of map.items) {
    if (!yaml().isPair(pair)) continue;
    const keyNode = resolve(doc, pair.key);
    const keyText = yaml().isScalar(keyNode) ? scalarText(keyNode) : undefined;
    const line = lineOf(offsetOf(pair.key));
    if (keyText === undefined || keyText === '') {
      throw new Error(`YAML configuration at line ${line}: keys must be non-empty scalars`);
    }
    const key = prefix === '' ? keyText : `${prefix}.${keyText}`;
    const value = resolve(doc, pair.value);
    if (yaml().isMap(value)) {
      flatten(doc, value, key, entries, lineOf);
    } else if (yaml().isSeq(value)) {
      const parts = value.items.map((item) => {
        const part = scalarText(resolve(doc, item));
        if (part === undefined) {
          throw new Error(
            `YAML configuration at line ${lineOf(offsetOf(item))}: '${key}' must be a list of scalars, not of maps or lists`,
          );
        }
        return part;
      });
      entries.push({ key, value: parts.join(','), line });
    } else {
      const text = scalarText(value);
      if (text === undefined)
        throw new Error(`YAML configuration at line ${line}: unsupported value for '${key}'`);
      entries.push({ key, value: text, line });
    }
  }
}
