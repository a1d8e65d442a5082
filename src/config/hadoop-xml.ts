/**
 * Hadoop's `core-site.xml`, read as Hadoop's Configuration reads it:
 *
 *   <configuration>
 *     <property><name>fs.oss.endpoint</name><value>oss-cn-hangzhou.aliyuncs.com</value></property>
 *     <property name="fs.oss.accessKeyId" value="..."/>          (the attribute form)
 *   </configuration>
 *
 * - A property without a `<value>` (or with an empty one) sets nothing, as in Hadoop.
 * - Names and values are trimmed; entities and CDATA are decoded; `<description>` and other
 *   elements are ignored.
 * - A later definition of a name replaces an earlier one, unless the earlier was `<final>true</final>`.
 * - What Hadoop would reject (XML that is not well formed, a top-level element other than
 *   `<configuration>`) is a warning with the file's line, not a failure: the properties read before
 *   the fault are kept, the rest of the file is not read. Hadoop itself fails on such a file.
 */
import type { ConfigEntry } from './properties-file.js';

export interface ParsedXmlConfig {
  readonly entries: ConfigEntry[];
  /** Faults with their 1-based line, e.g. "unexpected </property>, expected </configuration>". */
  readonly problems: { readonly line: number; readonly message: string }[];
}

const REFUSED = 'Hadoop refuses this file; tierfs keeps the properties above this line and ignores the rest';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name] ?? whole;
  });
}

function attributesOf(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of text.matchAll(/([\w:.-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    attributes[match[1]!] = decode(match[3] ?? match[4] ?? '');
  }
  return attributes;
}

interface Property {
  name?: string;
  value?: string;
  final?: boolean;
  line: number;
}

export function parseHadoopXml(text: string): ParsedXmlConfig {
  const problems: { line: number; message: string }[] = [];
  const found = new Map<string, { entry: ConfigEntry; final: boolean }>();
  const stack: string[] = [];
  let property: Property | undefined;
  let textBuffer = '';
  let position = 0;
  let line = 1;
  const advance = (to: number) => {
    for (let i = position; i < to; i++) if (text.charCodeAt(i) === 10) line++;
    position = to;
  };
  const commit = (p: Property) => {
    const name = p.name?.trim();
    const value = p.value?.trim();
    if (!name || value === undefined || value === '') return;
    const earlier = found.get(name);
    if (earlier?.final) {
      problems.push({
        line: p.line,
        message: `'${name}' is final at line ${earlier.entry.line}; Hadoop keeps that value and ignores this one`,
      });
      return;
    }
    found.delete(name); // keeps document order of the last definition
    found.set(name, { entry: { key: name, value, line: p.line }, final: p.final === true });
  };

  while (position < text.length) {
    const open = text.indexOf('<', position);
    if (open < 0) {
      textBuffer += text.slice(position);
      advance(text.length);
      break;
    }
    textBuffer += text.slice(position, open);
    advance(open);
    const rest = text.slice(open, open + 9);
    let close: number;
    if (rest.startsWith('<!--')) {
      close = text.indexOf('-->', open);
      if (close < 0) {
        problems.push({ line, message: `a comment is never closed (no -->): ${REFUSED}` });
        break;
      }
      advance(close + 3);
      continue;
    }
    if (rest.startsWith('<![CDATA[')) {
      close = text.indexOf(']]>', open);
      if (close < 0) {
        problems.push({ line, message: `a CDATA section is never closed (no ]]>): ${REFUSED}` });
        break;
      }
      textBuffer += text.slice(open + 9, close);
      advance(close + 3);
      continue;
    }
    close = text.indexOf('>', open);
    if (close < 0) {
      problems.push({ line, message: `a tag is never closed (no >): ${REFUSED}` });
      break;
    }
    const tag = text.slice(open + 1, close);
    const tagLine = line;
    advance(close + 1);
    if (tag.startsWith('?') || tag.startsWith('!')) continue; // <?xml ...?>, <!DOCTYPE ...>
    const content = decode(textBuffer);
    textBuffer = '';

    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const expected = stack.pop();
      if (expected !== name) {
        problems.push({
          line: tagLine,
          message: `${
            expected
              ? `unexpected </${name}>, expected </${expected}>`
              : `unexpected </${name}> after the end of the document`
          }: Hadoop refuses this file; tierfs keeps the properties above this line and ignores the rest`,
        });
        break;
      }
      if (property && stack.length === 2) {
        if (name === 'name') property.name = content;
        else if (name === 'value') property.value = content;
        else if (name === 'final') property.final = content.trim() === 'true';
      }
      if (name === 'property' && stack.length === 1 && property) {
        commit(property);
        property = undefined;
      }
      continue;
    }

    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const name = /^[^\s/]+/.exec(body)?.[0] ?? '';
    if (stack.length === 0 && name !== 'configuration') {
      problems.push({
        line: tagLine,
        message: `the top-level element is <${name}>: Hadoop reads only <configuration>, so nothing of this file is used`,
      });
      break;
    }
    if (stack.length === 1 && name === 'property') {
      const attributes = attributesOf(body.slice(name.length));
      property = {
        name: attributes.name,
        value: attributes.value,
        final: attributes.final === 'true',
        line: tagLine,
      };
      if (selfClosing) {
        commit(property);
        property = undefined;
      }
    }
    if (!selfClosing) stack.push(name);
  }
  if (problems.length === 0 && stack.length > 0) {
    problems.push({
      line,
      message: `the file ends inside <${stack.at(-1)}> (no </${stack.at(-1)}>): Hadoop refuses this file; tierfs keeps the complete properties`,
    });
  }
  return { entries: [...found.values()].map((f) => f.entry), problems };
}
