import { XMLParser } from 'fast-xml-parser';
import type { KalturaRow } from './definition.js';

/** Names the parser refuses as object keys (prototype pollution): such a field gets a trailing `_`. */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

const parser = new XMLParser({
  ignoreDeclaration: true,
  ignoreAttributes: true,
  parseTagValue: false,
  // Values keep their spaces as the user typed them; indentation between elements is dropped below.
  trimValues: false,
  htmlEntities: true,
  transformTagName: (name) => (RESERVED_NAMES.has(name) ? `${name}_` : name),
  // A field may be called `toString` or `hasOwnProperty`: keep its name rather than the parser's `__` prefix.
  onDangerousProperty: (name) => name,
});

/** A field's values: one element gives a string, a repeated element an array, a nested one an object. */
export type MetadataValue = string | MetadataValue[] | { [field: string]: MetadataValue };

/**
 * Adds `values`: the metadata XML (`<metadata><Field>v</Field><Field>w</Field>…</metadata>`) as a
 * JSON object keyed by field name, a repeated element as an array of its values. The XML stays in
 * `xml`. A document that does not parse leaves `values` out (the record keeps its raw XML).
 */
export function withParsedXml(row: KalturaRow): KalturaRow {
  if (typeof row.xml !== 'string') return row;
  const values = parseMetadataXml(row.xml);
  return values ? { ...row, values } : row;
}

/** The fields of a metadata XML document by element name (see `xmlKey`); undefined when it does not parse. */
export function parseMetadataXml(xml: string): { [field: string]: MetadataValue } | undefined {
  let doc: Record<string, unknown>;
  try {
    // Validated first: the parser alone would make something of mismatched tags.
    doc = parser.parse(xml, true) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const root = withoutIndentation(doc.metadata as MetadataValue | undefined);
  return root && typeof root === 'object' && !Array.isArray(root) ? root : {};
}

/** The key an element's values have in `parseMetadataXml`'s object (names the parser refuses get a trailing `_`). */
export function xmlKey(element: string): string {
  return RESERVED_NAMES.has(element) ? `${element}_` : element;
}

/**
 * Drops the whitespace-only text between child elements (`metadata.add` stores indented XML as
 * given), which the parser would otherwise keep as a `#text` field.
 */
function withoutIndentation(value: MetadataValue | undefined): MetadataValue | undefined {
  if (value === undefined || typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((item) => withoutIndentation(item) as MetadataValue);
  const out: { [field: string]: MetadataValue } = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '#text' && typeof item === 'string' && item.trim() === '') continue;
    out[key] = withoutIndentation(item) as MetadataValue;
  }
  return out;
}
