/** XML in and out of the S3 protocol, on fast-xml-parser. */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { S3Error } from './errors.js';

const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** An element tree as fast-xml-parser builds it: arrays repeat an element, `undefined` omits it. */
export type XmlValue = string | number | boolean | undefined | XmlNode | XmlValue[];
export interface XmlNode {
  [name: string]: XmlValue;
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
});

/** A response document: `<?xml ...?><Root xmlns="...">body</Root>`. */
export function buildXml(root: string, body: XmlNode, namespace: string | null = S3_NAMESPACE): string {
  const element: XmlNode = namespace ? { '@_xmlns': namespace, ...body } : body;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${builder.build({ [root]: element }) as string}`;
}

/** Elements that may repeat in request bodies; always parsed as arrays. */
const REPEATED = new Set([
  'Part',
  'Object',
  'Tag',
  'Grant',
  'CORSRule',
  'AllowedMethod',
  'AllowedOrigin',
  'AllowedHeader',
  'ExposeHeader',
]);

const parser = new XMLParser({
  ignoreAttributes: true,
  // Go's encoding/xml (rclone) writes the quotes around ETags as &#34;: decode character references.
  htmlEntities: true,
  parseTagValue: false,
  trimValues: false,
  removeNSPrefix: true,
  isArray: (name) => REPEATED.has(name),
});

/** Parses a request body and returns its root element; MalformedXML when it is not `root`. */
export function parseXml(text: string, root: string): XmlNode {
  let document: unknown;
  try {
    document = parser.parse(text, true);
  } catch (error) {
    throw new S3Error('MalformedXML', 'The XML you provided was not well-formed', { cause: error });
  }
  const element = (document as XmlNode)[root];
  if (element === '') return {};
  if (typeof element !== 'object' || element === null || Array.isArray(element)) {
    throw new S3Error(
      'MalformedXML',
      `The XML you provided was not well-formed or did not validate: expected <${root}>`,
    );
  }
  return element;
}

/** The text of a child element, or undefined. */
export function textOf(node: XmlNode, name: string): string | undefined {
  const value = node[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).every((k) => k === '#text')) {
    return typeof value['#text'] === 'string' ? value['#text'] : '';
  }
  throw new S3Error('MalformedXML', `<${name}> must hold text`);
}

/** Child elements that repeat (see REPEATED), or []. */
export function listOf(node: XmlNode, name: string): XmlNode[] {
  const value = node[name];
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) return item;
    if (item === '') return {};
    throw new S3Error('MalformedXML', `<${name}> must hold elements`);
  });
}

/** The one child element `name`, or MalformedXML. */
export function childOf(node: XmlNode, name: string): XmlNode {
  const value = node[name];
  if (value === '') return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new S3Error('MalformedXML', `<${name}> is missing`);
  }
  return value;
}
