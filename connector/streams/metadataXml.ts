import { XMLParser } from 'fast-xml-parser';
import type { KalturaRow } from './definition.js';

const parser = new XMLParser({ ignoreDeclaration: true, ignoreAttributes: true, parseTagValue: false, trimValues: false, htmlEntities: true });

/** A field's values: one element gives a string, a repeated element an array, a nested one an object. */
export type MetadataValue = string | MetadataValue[] | { [field: string]: MetadataValue };

/**
 * Adds `values`: the metadata XML (`<metadata><Field>v</Field><Field>w</Field>…</metadata>`) as a
 * JSON object keyed by field name, a repeated element as an array of its values. The XML stays in
 * `xml`. A document that does not parse leaves `values` out (the record keeps its raw XML).
 */
export function withParsedXml(row: KalturaRow): KalturaRow {
  if (typeof row.xml !== 'string') return row;
  try {
    const doc = parser.parse(row.xml) as Record<string, unknown>;
    const root = doc.metadata;
    const values = root && typeof root === 'object' && !Array.isArray(root) ? (root as Record<string, MetadataValue>) : {};
    return { ...row, values };
  } catch {
    return row;
  }
}
