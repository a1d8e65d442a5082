/**
 * A parser of one XML format: the answer to an S3 ListObjectsV2 request (`<ListBucketResult>`),
 * for the fields a listing uses — each object's key, size, last-modified time and ETag, the common
 * prefixes, whether the answer is truncated and its continuation token. It does what the SDK's
 * generic XML parse does for these fields (entities, CDATA, comments, attributes, namespaces)
 * without building a tree of every element first, and it decodes keys and prefixes of an answer
 * sent with `<EncodingType>url</EncodingType>`. Anything else (an `<Error>` document, a root it
 * does not know, malformed XML) gives undefined: the caller then leaves the answer to the SDK.
 */
import type { ObjectInfo } from '../object/object-client.js';

export interface ParsedListV2 {
  readonly objects: ObjectInfo[];
  readonly prefixes: string[];
  readonly truncated: boolean;
  readonly nextToken?: string;
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Replaces the XML entities of a text node (the five named ones and numeric references). */
export function decodeXmlText(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[name] ?? whole;
  });
}

/** `encoding-type=url` names: percent-encoded, with `+` for a space (as AWS's SDKs decode them). */
function decodeUrlName(name: string): string {
  return decodeURIComponent(name.replace(/\+/g, ' '));
}

/** The local name of a tag's text (`s3:Key` → `Key`). */
function localName(tag: string): string {
  const colon = tag.indexOf(':');
  return colon < 0 ? tag : tag.slice(colon + 1);
}

/** Parses a ListObjectsV2 answer; undefined when it is not a `<ListBucketResult>` document. */
export function parseListObjectsV2(xml: string): ParsedListV2 | undefined {
  const stack: string[] = [];
  let text = '';
  let root: string | undefined;
  let key: string | undefined;
  let size = 0;
  let mtimeMs = 0;
  let etag: string | undefined;
  let prefix: string | undefined;
  let truncated = false;
  let nextToken: string | undefined;
  let encodingType: string | undefined;
  const objects: ObjectInfo[] = [];
  const prefixes: string[] = [];
  let at = 0;
  const n = xml.length;
  while (at < n) {
    const open = xml.indexOf('<', at);
    if (open < 0) {
      if (xml.slice(at).trim() !== '') return undefined;
      break;
    }
    if (open > at) text += decodeXmlText(xml.slice(at, open));
    if (xml.startsWith('<?', open)) {
      const end = xml.indexOf('?>', open + 2);
      if (end < 0) return undefined;
      at = end + 2;
      continue;
    }
    if (xml.startsWith('<!--', open)) {
      const end = xml.indexOf('-->', open + 4);
      if (end < 0) return undefined;
      at = end + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', open)) {
      const end = xml.indexOf(']]>', open + 9);
      if (end < 0) return undefined;
      text += xml.slice(open + 9, end);
      at = end + 3;
      continue;
    }
    if (xml.startsWith('<!', open)) return undefined; // a DOCTYPE: not an S3 answer
    const close = tagEnd(xml, open + 1);
    if (close < 0) return undefined;
    at = close + 1;
    if (xml[open + 1] === '/') {
      const name = localName(xml.slice(open + 2, close).trim());
      if (stack.pop() !== name) return undefined;
      const depth = stack.length;
      const parent = stack[depth - 1];
      if (depth === 1) {
        if (name === 'IsTruncated') truncated = text.trim() === 'true';
        else if (name === 'NextContinuationToken') nextToken = text;
        else if (name === 'EncodingType') encodingType = text.trim();
        else if (name === 'Contents') {
          if (key === undefined) return undefined;
          objects.push({ key, size, mtimeMs, etag: unquoteEtag(etag) });
        } else if (name === 'CommonPrefixes' && prefix !== undefined) prefixes.push(prefix);
      } else if (depth === 2 && parent === 'Contents') {
        if (name === 'Key') key = text;
        else if (name === 'Size') size = Number(text.trim());
        else if (name === 'LastModified') mtimeMs = parseTime(text.trim());
        else if (name === 'ETag') etag = text;
      } else if (depth === 2 && parent === 'CommonPrefixes' && name === 'Prefix') prefix = text;
      text = '';
      continue;
    }
    const selfClosing = xml[close - 1] === '/';
    const body = xml.slice(open + 1, selfClosing ? close - 1 : close);
    const space = body.search(/[\s]/);
    const name = localName(space < 0 ? body : body.slice(0, space));
    if (stack.length === 0) {
      if (root !== undefined || name !== 'ListBucketResult') return undefined;
      root = name;
    }
    if (stack.length === 1 && name === 'Contents') {
      key = undefined;
      size = 0;
      mtimeMs = 0;
      etag = undefined;
    } else if (stack.length === 1 && name === 'CommonPrefixes') prefix = undefined;
    text = '';
    if (!selfClosing) stack.push(name);
    else if (stack.length === 2 && stack[1] === 'Contents' && name === 'Key') key = '';
    else if (stack.length === 2 && stack[1] === 'CommonPrefixes' && name === 'Prefix') prefix = '';
  }
  if (root === undefined || stack.length !== 0) return undefined;
  const url = encodingType === 'url';
  let listed = objects;
  let names = prefixes;
  if (url) {
    try {
      listed = objects.map((o) => ({ ...o, key: decodeUrlName(o.key) }));
      names = prefixes.map(decodeUrlName);
    } catch {
      return undefined; // a name that is no percent-encoding (URIError): the SDK's to answer
    }
  }
  return nextToken === undefined
    ? { objects: listed, prefixes: names, truncated }
    : { objects: listed, prefixes: names, truncated, nextToken };
}

/** The `>` ending a tag opened before `from`, past quoted attribute values. */
function tagEnd(xml: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < xml.length; i++) {
    const c = xml[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
  }
  return -1;
}

/** An ISO 8601 time as S3 sends it; NaN becomes 0 as a missing time does. */
function parseTime(text: string): number {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? 0 : ms;
}

/** An ETag without its quotes, as tierfs keeps it (undefined when empty). */
export function unquoteEtag(etag: string | undefined): string | undefined {
  return etag?.replace(/"/g, '') || undefined;
}
