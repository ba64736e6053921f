/**
 * A small strict XML parser for tests: it builds an element tree and throws on anything that is
 * not well-formed (unbalanced or mismatched tags, unquoted or duplicate attributes, a raw "<" or a
 * stray "&" in text, unknown entities, text outside the root). It accepts an optional XML
 * declaration and an HTML5 doctype, so polyglot HTML parses too. Not a full XML 1.0 parser: no
 * DTDs, CDATA or processing instructions beyond the declaration, which our output never uses.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | string;

const NAME = /[A-Za-z_:][\w:.-]*/y;
const ENTITY = /&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/y;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function parseXml(text: string): XmlElement {
  const p = { text, pos: 0 };
  skipProlog(p);
  const root = element(p);
  skipMisc(p);
  if (p.pos !== text.length) fail(p, 'content after the root element');
  return root;
}

/** Every element named `name` under (and including) `root`, in document order. */
export function findAll(root: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = root.name === name ? [root] : [];
  for (const c of root.children) if (typeof c !== 'string') out.push(...findAll(c, name));
  return out;
}

/** The decoded text content of an element and its descendants. */
export function textOf(node: XmlNode): string {
  return typeof node === 'string' ? node : node.children.map(textOf).join('');
}

interface Cursor {
  text: string;
  pos: number;
}

function fail(p: Cursor, what: string): never {
  const line = p.text.slice(0, p.pos).split('\n').length;
  throw new Error(`not well-formed XML at line ${line} (offset ${p.pos}): ${what}: ${JSON.stringify(p.text.slice(p.pos, p.pos + 40))}`);
}

function skipProlog(p: Cursor): void {
  if (p.text.startsWith('<?xml', p.pos)) p.pos = p.text.indexOf('?>', p.pos) + 2;
  skipMisc(p);
  if (/^<!doctype html>/i.test(p.text.slice(p.pos, p.pos + 15))) p.pos += 15;
  skipMisc(p);
}

function skipMisc(p: Cursor): void {
  for (;;) {
    while (/\s/.test(p.text[p.pos] ?? '')) p.pos++;
    if (!p.text.startsWith('<!--', p.pos)) return;
    const end = p.text.indexOf('-->', p.pos + 4);
    if (end < 0) fail(p, 'unterminated comment');
    p.pos = end + 3;
  }
}

function name(p: Cursor): string {
  NAME.lastIndex = p.pos;
  const m = NAME.exec(p.text);
  if (!m) fail(p, 'expected a name');
  p.pos += m[0].length;
  return m[0];
}

function decode(p: Cursor, raw: string, start: number): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '<') fail({ text: p.text, pos: start + i }, 'raw "<"');
    if (raw[i] !== '&') {
      out += raw[i];
      continue;
    }
    ENTITY.lastIndex = i;
    const m = ENTITY.exec(raw);
    if (!m) fail({ text: p.text, pos: start + i }, 'bad entity');
    const ref = m[1];
    out += ref.startsWith('#x') ? String.fromCodePoint(parseInt(ref.slice(2), 16)) : ref.startsWith('#') ? String.fromCodePoint(Number(ref.slice(1))) : NAMED[ref];
    i += m[0].length - 1;
  }
  return out;
}

function attributes(p: Cursor): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (;;) {
    const before = p.pos;
    while (/\s/.test(p.text[p.pos] ?? '')) p.pos++;
    const ch = p.text[p.pos];
    if (ch === '>' || ch === '/' || ch === undefined) return attrs;
    if (p.pos === before) fail(p, 'attributes need whitespace between them');
    const key = name(p);
    if (key in attrs) fail(p, `duplicate attribute ${key}`);
    if (p.text[p.pos] !== '=') fail(p, `attribute ${key} has no value`);
    const quote = p.text[p.pos + 1];
    if (quote !== '"' && quote !== "'") fail(p, `attribute ${key} is not quoted`);
    const end = p.text.indexOf(quote, p.pos + 2);
    if (end < 0) fail(p, 'unterminated attribute value');
    attrs[key] = decode(p, p.text.slice(p.pos + 2, end), p.pos + 2);
    p.pos = end + 1;
  }
}

function element(p: Cursor): XmlElement {
  if (p.text[p.pos] !== '<') fail(p, 'expected an element');
  p.pos++;
  const el: XmlElement = { name: name(p), attrs: attributes(p), children: [] };
  if (p.text.startsWith('/>', p.pos)) {
    p.pos += 2;
    return el;
  }
  if (p.text[p.pos] !== '>') fail(p, `unterminated start tag <${el.name}>`);
  p.pos++;
  content(p, el);
  return el;
}

function content(p: Cursor, el: XmlElement): void {
  for (;;) {
    const lt = p.text.indexOf('<', p.pos);
    if (lt < 0) fail(p, `<${el.name}> is never closed`);
    if (lt > p.pos) el.children.push(decode(p, p.text.slice(p.pos, lt), p.pos));
    p.pos = lt;
    if (p.text.startsWith('<!--', p.pos)) {
      skipMisc(p);
    } else if (p.text.startsWith('</', p.pos)) {
      p.pos += 2;
      const closing = name(p);
      if (closing !== el.name) fail(p, `</${closing}> closes <${el.name}>`);
      while (/\s/.test(p.text[p.pos] ?? '')) p.pos++;
      if (p.text[p.pos] !== '>') fail(p, 'unterminated end tag');
      p.pos++;
      return;
    } else {
      el.children.push(element(p));
    }
  }
}
