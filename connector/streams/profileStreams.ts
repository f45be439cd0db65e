import { isoSeconds } from '../engine/isoSeconds.js';
import type { KalturaRow, StreamDefinition } from './definition.js';
import { categories } from './categories.js';
import { entryParents } from './parents.js';
import { parseMetadataXml, xmlKey, type MetadataValue } from './metadataXml.js';
import { parseProfileXsd, UnreadableXsd, type XsdField } from './profileXsd.js';

/**
 * One stream per metadata profile: the profile's fields as typed columns. See
 * docs/metadata-profiles.md for the naming rule, the columns and how a profile's changes show.
 */

/** A metadata profile as `metadata_metadataprofile.list` gives it (KalturaMetadataProfile). */
export interface MetadataProfile {
  id: number;
  /** `"1"` entry, `"2"` category, `"3"` user (a string enum on the wire). */
  metadataObjectType: string;
  version?: number;
  name?: string;
  systemName?: string;
  xsd?: string;
}

/** What a profile's objects are, for the object types that have a profile stream. */
interface ObjectKind {
  /** The column holding the object's id, named for what it is. */
  column: string;
  noun: string;
  idSchema: { type: string[] };
  /** The object's id as the record holds it (category ids are integers elsewhere; `objectId` is a string). */
  id: (objectId: unknown) => unknown;
  parents?: StreamDefinition['parents'];
}

const objectKinds: Record<string, ObjectKind> = {
  // Kaltura lists entry metadata only by entry ids; category metadata too when entitlements are
  // on, so categories are read by batches of category ids as well (the category walk is shared).
  '1': { column: 'entryId', noun: 'entry', idSchema: { type: ['string'] }, id: (v) => v, parents: { of: entryParents, filter: 'objectIdIn' } },
  '2': { column: 'categoryId', noun: 'category', idSchema: { type: ['integer'] }, id: integerId, parents: { of: categories, filter: 'objectIdIn' } },
  '3': { column: 'userId', noun: 'user', idSchema: { type: ['string'] }, id: (v) => v },
};

/**
 * What a profile stream's schema says in `$comment` (a keyword validators ignore): the profile's
 * id travels with the schema into Airbyte's and Singer's catalogs, and back into a read.
 */
function profileComment(id: number): string {
  return `kaltura metadata profile ${id}`;
}

export function profileIdOfComment(comment: string): number | undefined {
  const match = /^kaltura metadata profile (\d+)$/.exec(comment);
  return match ? Number(match[1]) : undefined;
}

/** Whether a profile describes objects that have a profile stream (entries, categories, users). */
export function hasProfileStream(profile: MetadataProfile): boolean {
  return Object.hasOwn(objectKinds, profile.metadataObjectType);
}

/** The fixed columns of every profile stream, before the profile's own. */
const fixedColumns = ['id', 'metadataProfileVersion', 'createdAt', 'updatedAt'];

/**
 * The stream's name before it meets the other streams: `metadata_` and the system name in lower
 * snake case, or `metadata_profile_<id>` without one. The display name (what the KMC calls
 * renaming) never takes part.
 */
export function profileStreamBaseName(profile: MetadataProfile): string {
  const system = snakeCase(profile.systemName ?? '');
  return system === '' ? `metadata_profile_${profile.id}` : `metadata_${system}`;
}

/** `CourseCode` → `course_code`, `XMLTitle` → `xml_title`, `Budget Code` → `budget_code`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

/** A column for each field, in XSD order: snake case, a digit-led name prefixed `f_`, a taken name suffixed `_2`, `_3`… */
interface Column {
  name: string;
  field: XsdField;
  children?: Column[];
}

function columnsOf(fields: XsdField[], taken: Set<string>): Column[] {
  return fields.map((field) => {
    let base = snakeCase(field.element);
    if (base === '' || /^[0-9]/.test(base)) base = `f_${base}`;
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    const column: Column = { name, field };
    if (field.children) column.children = columnsOf(field.children, new Set());
    return column;
  });
}

type Schema = Record<string, unknown>;

const timestamp = { format: 'date-time', airbyte_type: 'timestamp_with_timezone' };

/** The JSON Schema of one value of a field (an item, when the field repeats). */
function valueSchema(column: Column): Schema {
  const { field } = column;
  switch (field.kind) {
    case 'date':
      return { type: 'string', ...timestamp };
    case 'list':
      return { type: 'string', enum: field.values ?? [] };
    case 'integer':
      return { type: 'integer' };
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'container':
      return { type: 'object', additionalProperties: false, properties: Object.fromEntries((column.children ?? []).map((c) => [c.name, columnSchema(c)])) };
    default:
      return { type: 'string' };
  }
}

const kindWords: Record<string, string> = {
  text: 'text',
  date: 'a date (Kaltura keeps unix seconds)',
  object: 'an entry id',
  list: 'one of a pick list',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  container: 'a container of fields',
};

/** A column's schema: nullable, an array when the field repeats, described by its XSD element and label. */
function columnSchema(column: Column): Schema {
  const { field } = column;
  const value = valueSchema(column);
  const description = `XSD element ${field.element}${field.label && field.label !== field.element ? ` ("${field.label}")` : ''}: ${kindWords[field.kind]}${field.repeated ? ', repeated' : ''}.`;
  if (field.repeated) return { type: ['array', 'null'], items: value, description };
  const { type, enum: values, ...rest } = value;
  const schema: Schema = { type: [type as string, 'null'], ...rest, description };
  // null is a value of the column (a value that does not fit is nulled), so the list names it too.
  if (values) schema.enum = [...(values as string[]), null];
  return schema;
}

/** A profile stream: its definition and, when the XSD could not be read, why. */
export interface ProfileStream {
  def: StreamDefinition;
  profile: MetadataProfile;
  warning?: string;
}

/**
 * The stream of one profile, under `name`. Columns: the object's id, the metadata object's id,
 * `metadataProfileVersion`, `createdAt`, `updatedAt`, then one per XSD field in XSD order. When
 * the XSD cannot be read, the stream still reads the profile's objects, with their raw `xml`.
 */
export function profileStream(profile: MetadataProfile, name: string): ProfileStream {
  const kind = objectKinds[profile.metadataObjectType];
  if (!kind) throw new Error(`metadata profile ${profile.id}: object type ${profile.metadataObjectType} has no profile stream`);
  let columns: Column[] | undefined;
  let warning: string | undefined;
  try {
    columns = columnsOf(parseProfileXsd(profile.xsd ?? ''), new Set([kind.column, ...fixedColumns, 'xml']));
  } catch (err) {
    if (!(err instanceof UnreadableXsd)) throw err;
    warning = `${name}: the XSD of metadata profile ${profile.id} could not be read (${err.message}); the stream holds each object's raw xml instead of typed columns`;
  }
  const properties: Record<string, Schema> = {
    [kind.column]: { ...kind.idSchema, description: `The ${kind.noun} the values describe (the metadata object's objectId); the primary key.` },
    id: { type: ['integer', 'null'], description: 'Metadata object id.' },
    metadataProfileVersion: { type: ['integer', 'null'], description: 'Version of the profile the values were written under.' },
    createdAt: { type: ['string', 'null'], ...timestamp, description: 'When the metadata object was created.' },
    updatedAt: { type: ['string', 'null'], ...timestamp, description: 'Last change of the values; the incremental cursor.' },
  };
  if (columns) for (const column of columns) properties[column.name] = columnSchema(column);
  else properties.xml = { type: ['string', 'null'], description: 'The values as Kaltura stores them (the profile\'s XSD could not be read).' };
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $comment: profileComment(profile.id),
    title: name,
    description: `Custom metadata of ${kind.noun === 'entry' ? 'entries' : kind.noun === 'category' ? 'categories' : 'users'} for metadata profile ${profile.id}${profile.name ? ` ("${profile.name}")` : ''}, one record per ${kind.noun}, typed from the profile's XSD (version ${profile.version ?? '?'}). Times are RFC 3339 UTC strings.`,
    type: 'object',
    additionalProperties: false,
    required: [kind.column],
    properties,
  };
  const def: StreamDefinition = {
    name,
    schemaFile: `metadata profile ${profile.id} (its XSD)`,
    schema,
    source: {
      service: 'metadata_metadata',
      filterObjectType: 'KalturaMetadataFilter',
      filter: { metadataObjectTypeEqual: profile.metadataObjectType, metadataProfileIdEqual: profile.id },
    },
    primaryKey: [[kind.column]],
    rawFields: { [kind.column]: 'objectId' },
    cursorField: 'updatedAt',
    tieBreakerField: 'createdAt',
    boundary: 'client',
    uncapped: true,
    transform: columns ? recordMaker(name, kind, columns) : rawRecordMaker(kind),
    deletions: 'Kaltura never lists deleted metadata objects, nor those of deleted objects: only a full refresh drops them; incremental syncs keep the last version.',
  };
  if (kind.parents) def.parents = kind.parents;
  const stream: ProfileStream = { def, profile };
  if (warning) stream.warning = warning;
  return stream;
}

function fixedValues(kind: ObjectKind, row: KalturaRow): KalturaRow {
  return { [kind.column]: kind.id(row.objectId), id: row.id, metadataProfileVersion: row.metadataProfileVersion, createdAt: row.createdAt, updatedAt: row.updatedAt };
}

function rawRecordMaker(kind: ObjectKind): (row: KalturaRow) => KalturaRow {
  return (row) => ({ ...fixedValues(kind, row), xml: row.xml });
}

/**
 * The record of a metadata object: its XML parsed, each field's values converted to the column's
 * type where nothing is lost. A value that does not convert is passed on as it is, and the
 * shaping of records decides (cast or null, as for any stream). A document that does not parse
 * gives no field values, and says so once per stream.
 */
function recordMaker(name: string, kind: ObjectKind, columns: Column[]): NonNullable<StreamDefinition['transform']> {
  return (row, warnOnce) => {
    const record = fixedValues(kind, row);
    const values = typeof row.xml === 'string' ? parseMetadataXml(row.xml) : undefined;
    if (values) for (const column of columns) record[column.name] = columnValue(column, values[xmlKey(column.field.element)], true);
    else if (typeof row.xml === 'string') warnOnce?.('malformed xml', `${name}: the metadata XML of ${kind.column} ${String(record[kind.column])} (metadata object ${String(row.id)}) is not well-formed XML; its record was written with every profile field empty. Later such records of ${name} are not logged; the raw xml is in the metadata stream.`);
    return record;
  };
}

/**
 * A field's value for its column. `top`: a top-level single date stays unix seconds, which the
 * shaping turns into RFC 3339 like every other time; dates in arrays and containers are turned here.
 */
function columnValue(column: Column, raw: MetadataValue | undefined, top: boolean): unknown {
  if (raw === undefined) return undefined;
  if (column.field.repeated) {
    const items = (Array.isArray(raw) ? raw : [raw]).map((item) => oneValue(column, item, false)).filter((v) => v !== undefined);
    return items;
  }
  // Several elements for a field that allows one: passed on as they are (the shaping nulls them).
  if (Array.isArray(raw)) return raw;
  return oneValue(column, raw, top);
}

function oneValue(column: Column, raw: MetadataValue, top: boolean): unknown {
  const { kind } = column.field;
  if (kind === 'container') {
    if (typeof raw === 'string') return raw.trim() === '' ? {} : raw;
    if (Array.isArray(raw)) return raw;
    const out: Record<string, unknown> = {};
    for (const child of column.children ?? []) {
      const value = columnValue(child, raw[xmlKey(child.field.element)], false);
      if (value !== undefined) out[child.name] = value;
    }
    return out;
  }
  if (typeof raw !== 'string') return raw;
  switch (kind) {
    case 'date': {
      if (raw.trim() === '') return undefined;
      if (!/^-?\d+$/.test(raw.trim())) return raw;
      const seconds = Number(raw.trim());
      return top ? seconds : isoSeconds(seconds);
    }
    case 'integer': {
      if (raw.trim() === '') return undefined;
      const n = Number(raw.trim());
      return /^-?\d+$/.test(raw.trim()) && Number.isSafeInteger(n) ? n : raw;
    }
    case 'number': {
      if (raw.trim() === '') return undefined;
      const n = Number(raw.trim());
      return Number.isFinite(n) ? n : raw;
    }
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      return v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v === '' ? undefined : raw;
    }
    default:
      return raw;
  }
}

function integerId(value: unknown): unknown {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return value;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}
