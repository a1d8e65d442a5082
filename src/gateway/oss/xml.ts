/** XML bodies of the OSS protocol: responses built from plain objects, request bodies parsed strictly. */
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { OssError } from './errors.js';

/** A response element: text, a nested element, repeated elements (array) or absent (undefined). */
export type XmlValue = string | number | boolean | undefined | XmlElement | readonly XmlValue[];
export interface XmlElement {
  readonly [name: string]: XmlValue;
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
});

/** `<?xml ...?><root>...</root>`; element order follows the object's key order; undefined is left out. */
export function toXml(root: string, body: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [root]: prune(body) })}`;
}

function prune(value: XmlValue): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(prune);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [name, child] of Object.entries(value as XmlElement)) {
      if (child !== undefined) out[name] = prune(child);
    }
    return out;
  }
  return value;
}

/** A parsed request element: text, or named children (repeated ones as arrays). */
export type ParsedXml = string | { readonly [name: string]: ParsedXml | readonly ParsedXml[] };

const REPEATED = new Set(['Object', 'Part']);
const parser = new XMLParser({
  ignoreAttributes: true,
  // Go's encoding/xml (rclone) writes the quotes around ETags as &#34;: decode character references.
  htmlEntities: true,
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  isArray: (name) => REPEATED.has(name),
});

/** Parses a request body; malformed XML or a missing root element is 400 MalformedXML. */
export function parseXml(
  text: string,
  root: string,
): Readonly<Record<string, ParsedXml | readonly ParsedXml[]>> {
  if (text.trim() === '' || XMLValidator.validate(text) !== true) throw new OssError('MalformedXML');
  const doc: unknown = parser.parse(text);
  const element =
    typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)[root] : undefined;
  if (typeof element === 'string' && element.trim() === '') return {};
  if (typeof element !== 'object' || element === null) throw new OssError('MalformedXML');
  return element as Record<string, ParsedXml | readonly ParsedXml[]>;
}

/** The text of a child element, or undefined when absent. */
export function childText(element: ParsedXml | undefined, name: string): string | undefined {
  if (element === undefined || typeof element === 'string') return undefined;
  const child = element[name];
  if (child === undefined) return undefined;
  if (typeof child === 'string') return child;
  if (Array.isArray(child)) return undefined;
  return ''; // An element with children or an empty element (`<Key/>`).
}

/** Repeated children as a list (one or many). */
export function children(element: ParsedXml | undefined, name: string): readonly ParsedXml[] {
  if (element === undefined || typeof element === 'string') return [];
  const child = element[name];
  if (child === undefined) return [];
  return Array.isArray(child) ? child : [child as ParsedXml];
}
