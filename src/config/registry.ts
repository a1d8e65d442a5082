/**
 * Finds a property's definition by any name users write: the `tierfs.*` key, its `alluxio.*` twin,
 * a registered alias, or an instance of a placeholder key. Suggests the closest key for typos.
 */
import type { PropertyKey } from './property.js';

export interface ResolvedName {
  /** The canonical key (a placeholder key's instance keeps its concrete text). */
  readonly key: string;
  readonly definition: PropertyKey<unknown>;
  /** For an instance of a placeholder key, the text standing in for the placeholder. */
  readonly placeholder?: string;
}

const ALLUXIO_PREFIX = 'alluxio.';
const TIERFS_PREFIX = 'tierfs.';

export class PropertyRegistry {
  private readonly byName = new Map<string, PropertyKey<unknown>>();
  private readonly templates: { pattern: RegExp; prefix: string; definition: PropertyKey<unknown> }[] = [];

  constructor(definitions: readonly PropertyKey<unknown>[]) {
    for (const definition of definitions) {
      for (const name of [definition.key, ...(definition.aliases ?? [])]) {
        if (this.byName.has(name) || this.templates.some((t) => t.definition.key === name)) {
          throw new Error(`property name '${name}' is registered twice`);
        }
        if (name.includes('{')) {
          const [prefix = '', suffix = ''] = name.split(/\{[^}]+\}/);
          this.templates.push({
            pattern: new RegExp(`^${escapeRegExp(prefix)}(.+)${escapeRegExp(suffix)}$`),
            prefix,
            definition,
          });
        } else {
          this.byName.set(name, definition);
        }
      }
    }
  }

  /** The definition behind `name`, or undefined for an unknown key. */
  resolve(name: string): ResolvedName | undefined {
    for (const candidate of spellings(name)) {
      const definition = this.byName.get(candidate);
      if (definition) return { key: definition.key, definition };
      for (const template of this.templates) {
        const match = template.pattern.exec(candidate);
        if (match) {
          const placeholder = match[1]!;
          return {
            key: template.definition.key.replace(/\{[^}]+\}/, placeholder),
            definition: template.definition,
            placeholder,
          };
        }
      }
    }
    return undefined;
  }

  definitions(): PropertyKey<unknown>[] {
    return [...new Set([...this.byName.values(), ...this.templates.map((t) => t.definition)])];
  }

  /** The registered key closest to a misspelt one, if any is close enough to be a likely typo. */
  suggest(name: string): string | undefined {
    const wanted = name.startsWith(ALLUXIO_PREFIX) ? TIERFS_PREFIX + name.slice(ALLUXIO_PREFIX.length) : name;
    let best: string | undefined;
    let bestDistance = Math.max(2, Math.floor(wanted.length / 6)) + 1;
    for (const candidate of [...this.byName.keys(), ...this.templates.map((t) => t.prefix)]) {
      const distance = editDistance(wanted, candidate, bestDistance);
      if (distance < bestDistance) {
        best = this.byName.get(candidate)?.key ?? candidate;
        bestDistance = distance;
      }
    }
    return best;
  }
}

/** `alluxio.X` is also tried as `tierfs.X`. */
function spellings(name: string): string[] {
  return name.startsWith(ALLUXIO_PREFIX) ? [TIERFS_PREFIX + name.slice(ALLUXIO_PREFIX.length), name] : [name];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Levenshtein distance, case-insensitive, giving up once it must exceed `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin >= limit) return limit;
    previous = current;
  }
  return previous[y.length]!;
}
