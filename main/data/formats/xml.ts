/**
 * XML shared by the MUSE, aECG and CardioSoft readers: bytes → text in the declared encoding (MUSE exports are
 * ISO-8859-1, newer ones UTF-8), a well-formedness check that names the line, and one parser configuration.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** The encoding a document declares (BOM first, then `<?xml … encoding="…"?>`), as a TextDecoder label. */
export function declaredEncoding(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 200));
  const m = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
  const enc = (m?.[1] ?? 'utf-8').toLowerCase();
  // Windows-1252 is what ISO-8859-1 labels mean in practice (the WHATWG decoder treats them alike).
  return /^(iso-?8859-?1|latin-?1|windows-1252|cp1252)$/.test(enc) ? 'windows-1252' : enc;
}

/**
 * Text of an XML file in its declared encoding. ASCII files and ISO-8859-1 files (without the Windows-1252 range
 * 0x80–0x9F) become one-byte strings: the parser ran 7× slower on the two-byte strings TextDecoder returns.
 */
export function decodeXml(bytes: Uint8Array): string {
  const enc = declaredEncoding(bytes);
  const latin = enc === 'windows-1252';
  if (latin || enc === 'utf-8' || enc === 'utf8') {
    let oneByte = true;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b >= 0x80 && (!latin || b < 0xa0)) {
        oneByte = false;
        break;
      }
    }
    if (oneByte) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1').replace(/^\u00ef\u00bb\u00bf/, '');
  }
  let decoder;
  try {
    decoder = new TextDecoder(enc);
  } catch {
    throw new Error(`unsupported XML encoding "${enc}"`);
  }
  return decoder.decode(bytes).replace(/^\uFEFF/, '');
}

/** The name of the document's root element (skipping the declaration, comments, DOCTYPE), from its first bytes. */
export function rootElement(head: string): string | null {
  const text = head.replace(/<\?[\s\S]*?\?>/g, '').replace(/<!--[\s\S]*?-->/g, '').replace(/<!DOCTYPE[^>]*>/gi, '');
  const m = /<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s>/]/.exec(text);
  return m ? m[2]! : null;
}

export type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // Entity replacement over the large sample texts made parsing 8× slower; the accessors below decode entities in
  // the (short) text they return instead.
  processEntities: false,
  textNodeName: '#text',
});

/** Parse after checking well-formedness; throws "malformed XML: line N: …". */
export function parseXml(text: string): XmlNode {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    // The validator reports elements left open at the end of the text as a JSON list of their names.
    const open = /^Invalid '(\[[\s\S]*\])' found/.exec(valid.err.msg);
    if (open) {
      let names: string[] = [];
      try {
        names = JSON.parse(open[1]!) as string[];
      } catch {
        names = [];
      }
      throw new Error(`malformed XML: the document ends with ${names.length} element(s) still open (${names.slice(-3).map((n) => `<${n}>`).join(' … ')}); the file looks truncated`);
    }
    throw new Error(`malformed XML: line ${valid.err.line}: ${valid.err.msg}`);
  }
  return parser.parse(text) as XmlNode;
}

// Small accessors over the parser's output: elements are objects, repeated elements arrays, text leaves strings.

export function asArray(v: unknown): unknown[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

export function child(node: unknown, name: string): XmlNode | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const v = (node as XmlNode)[name];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null) return undefined;
  return typeof first === 'object' ? (first as XmlNode) : { '#text': String(first) };
}

export function children(node: unknown, name: string): XmlNode[] {
  if (!node || typeof node !== 'object') return [];
  return asArray((node as XmlNode)[name]).map((v) => (typeof v === 'object' && v !== null ? (v as XmlNode) : { '#text': String(v) }));
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** The five XML entities and character references. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : ENTITIES[e]!);
}

export function text(node: unknown, name?: string): string | undefined {
  const n = name === undefined ? node : child(node, name);
  if (n === undefined || n === null) return undefined;
  if (typeof n !== 'object') return decodeEntities(String(n));
  const t = (n as XmlNode)['#text'];
  return t === undefined ? undefined : decodeEntities(String(t));
}

export function attr(node: unknown, name: string): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const v = (node as XmlNode)[`@${name}`];
  return v === undefined ? undefined : decodeEntities(String(v));
}

export function numberOr(v: string | undefined, fallback: number | null = null): number | null {
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}
