import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * A metadata profile's XSD read into its fields, in XSD order. The KMC writes one `xsd:element`
 * per field in `<xsd:element name="metadata"><xsd:complexType><xsd:sequence>`; its kind is a named
 * type (`textType`, `dateType` in unix seconds, `objectType` an entry id), a pick list (an inline
 * `xsd:restriction base="listType"` with its `xsd:enumeration` values), or a container (a nested
 * complexType holding fields of its own). XSDs written by hand may also use the XSD built-in types.
 */
export type FieldKind = 'text' | 'date' | 'object' | 'list' | 'integer' | 'number' | 'boolean' | 'container';

export interface XsdField {
  /** The XML element name: what the metadata XML calls the field. */
  element: string;
  kind: FieldKind;
  /** `maxOccurs` above 1 (or `unbounded`): the XML repeats the element once per value. */
  repeated: boolean;
  /** A pick list's values, in XSD order. */
  values?: string[];
  /** A container's own fields. */
  children?: XsdField[];
  /** The KMC's label (`xsd:appinfo/label`), for the column's description. */
  label?: string;
}

/** Why an XSD could not be read into fields. */
export class UnreadableXsd extends Error {
  override readonly name = 'UnreadableXsd';
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // `xsd:`, `xs:` or none: the prefix is the author's choice.
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  isArray: (name) => ['element', 'enumeration', 'sequence', 'all', 'choice', 'complexType', 'simpleType'].includes(name),
});

type Node = Record<string, unknown>;

/** The profile's fields, in XSD order; throws UnreadableXsd when the document is not a profile XSD. */
export function parseProfileXsd(xsd: string): XsdField[] {
  const valid = XMLValidator.validate(xsd);
  if (valid !== true) throw new UnreadableXsd(`the XSD is not well-formed XML (${valid.err.msg}, line ${valid.err.line})`);
  const doc = parser.parse(xsd) as Node;
  const schema = doc.schema as Node | undefined;
  if (!schema || typeof schema !== 'object') throw new UnreadableXsd('the XSD has no xsd:schema root');
  const root = nodes(schema.element).find((e) => e['@name'] === 'metadata');
  if (!root) throw new UnreadableXsd('the XSD declares no <xsd:element name="metadata">');
  const body = nodes(root.complexType)[0];
  if (!body) throw new UnreadableXsd('the XSD\'s metadata element has no xsd:complexType');
  return fieldsOf(body);
}

/** The elements of a complexType's sequence (or all/choice), in document order within each. */
function fieldsOf(complexType: Node): XsdField[] {
  const groups = [...nodes(complexType.sequence), ...nodes(complexType.all), ...nodes(complexType.choice)];
  const out: XsdField[] = [];
  for (const group of groups) {
    for (const element of nodes(group.element)) {
      const field = fieldOf(element);
      if (field) out.push(field);
    }
    // A choice or sequence nested in a sequence holds fields too.
    for (const nested of [...nodes(group.sequence), ...nodes(group.choice)]) out.push(...fieldsOf({ sequence: [nested] }));
  }
  return out;
}

function fieldOf(element: Node): XsdField | undefined {
  const name = element['@name'];
  if (typeof name !== 'string' || name === '') return undefined;
  const max = element['@maxOccurs'];
  const repeated = max === 'unbounded' || (typeof max === 'string' && Number(max) > 1);
  const field: XsdField = { element: name, kind: 'text', repeated };
  const label = labelOf(element);
  if (label) field.label = label;
  const type = element['@type'];
  const simple = nodes(element.simpleType)[0];
  const complex = nodes(element.complexType)[0];
  if (typeof type === 'string') {
    field.kind = kindOfType(type);
  } else if (simple) {
    const restriction = simple.restriction as Node | undefined;
    const values = nodes(restriction?.enumeration)
      .map((e) => e['@value'])
      .filter((v): v is string => typeof v === 'string');
    const base = typeof restriction?.['@base'] === 'string' ? restriction['@base'] : 'string';
    if (values.length > 0 || localName(base) === 'listType') {
      field.kind = 'list';
      field.values = values;
    } else field.kind = kindOfType(base);
  } else if (complex) {
    const content = complex.simpleContent as Node | undefined;
    const extension = (content?.extension ?? content?.restriction) as Node | undefined;
    if (extension && typeof extension['@base'] === 'string') field.kind = kindOfType(extension['@base']);
    else {
      field.kind = 'container';
      field.children = fieldsOf(complex);
    }
  }
  return field;
}

/** A type name's kind: the KMC's named types, else the XSD built-in types; anything else is text. */
function kindOfType(type: string): FieldKind {
  const name = localName(type);
  if (name === 'dateType') return 'date';
  if (name === 'objectType') return 'object';
  if (name === 'listType' || name === 'textType') return name === 'listType' ? 'list' : 'text';
  if (/^(long|int|integer|short|byte|nonNegativeInteger|positiveInteger|nonPositiveInteger|negativeInteger|unsignedLong|unsignedInt|unsignedShort|unsignedByte)$/.test(name)) return 'integer';
  if (/^(decimal|double|float)$/.test(name)) return 'number';
  if (name === 'boolean') return 'boolean';
  return 'text';
}

function localName(type: string): string {
  return type.slice(type.indexOf(':') + 1);
}

function labelOf(element: Node): string | undefined {
  const annotation = element.annotation as Node | undefined;
  const appinfo = annotation?.appinfo as Node | undefined;
  const label = appinfo?.label;
  return typeof label === 'string' && label.trim() !== '' ? label.trim() : undefined;
}

function nodes(value: unknown): Node[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is Node => v !== null && typeof v === 'object');
}
