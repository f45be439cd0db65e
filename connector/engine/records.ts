import type { ValidateFunction } from 'ajv';
import { createAjv, describeAjvErrors } from '../util/ajv.js';
import { readPackageJson } from '../util/paths.js';
import type { StreamDefinition } from '../streams/definition.js';

export type JsonSchema = { properties: Record<string, { format?: string; type?: unknown }> } & Record<string, unknown>;
export type KalturaObject = Record<string, unknown>;
export type OutputRecord = Record<string, unknown>;

const ajv = createAjv();
/** Stops at the first problem: the hot path only needs a yes; the full validator explains a no. */
const fastAjv = createAjv({ allErrors: false });
const schemas = new Map<string, JsonSchema>();

export function streamSchema(def: StreamDefinition): JsonSchema {
  let schema = schemas.get(def.schemaFile);
  if (!schema) {
    schema = readPackageJson(`schemas/${def.schemaFile}`) as JsonSchema;
    schemas.set(def.schemaFile, schema);
  }
  return schema;
}

/** Unix seconds as RFC 3339 UTC without fractions, the form every output uses. */
export function isoSeconds(seconds: number): string {
  if (seconds === lastSeconds) return lastIso;
  const iso = new Date(seconds * 1000).toISOString();
  lastSeconds = seconds;
  // Whole seconds: drop the ".000" toISOString always writes (dates before year 0 keep their form).
  lastIso = iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
  return lastIso;
}
// Rows of a page share times (they come in cursor order, with many ties): one value is remembered.
let lastSeconds = Number.NaN;
let lastIso = '';

/**
 * Turns Kaltura objects into records of the stream's schema: declared fields only, in schema
 * order, `format: date-time` fields converted from unix seconds. The shaping function is built
 * once from the schema as one object literal, so every record of a stream has the same hidden
 * class: validation and JSON.stringify stay on their fast paths. Absent fields are `undefined`,
 * which JSON.stringify and the sinks leave out.
 *
 * Each record is then checked against the schema once, by a validator compiled without the
 * date-time formats (those strings were just built from numbers); a record whose time field held
 * anything but a number gets the full check.
 */
export class RecordShaper {
  private readonly build: (raw: KalturaObject, time: (value: unknown) => unknown) => OutputRecord;
  private readonly validateShaped: ValidateFunction;
  private readonly validateFully: ValidateFunction;
  private needsFullCheck = false;
  private readonly time = (value: unknown): unknown => {
    if (typeof value === 'number') return isoSeconds(value);
    if (value !== undefined && value !== null) this.needsFullCheck = true;
    return value;
  };

  constructor(def: StreamDefinition) {
    const schema = streamSchema(def);
    const fields = Object.entries(schema.properties).map(([key, property]) => {
      const read = `raw[${JSON.stringify(key)}]`;
      return `${JSON.stringify(key)}: ${property.format === 'date-time' ? `time(${read})` : read}`;
    });
    // The keys come from our own schema files and are quoted with JSON.stringify.
    this.build = new Function('raw', 'time', `return {${fields.join(', ')}};`) as typeof this.build;
    this.validateFully = ajv.compile(schema);
    this.validateShaped = fastAjv.compile(withoutTimeFormats(schema));
  }

  shape(raw: KalturaObject): OutputRecord {
    this.needsFullCheck = false;
    return this.build(raw, this.time);
  }

  /** Undefined when the record just shaped is valid, else one line naming each problem. */
  problems(record: OutputRecord): string | undefined {
    if (!this.needsFullCheck && this.validateShaped(record)) return undefined;
    if (this.validateFully(record)) return undefined;
    return describeAjvErrors(this.validateFully.errors).join('; ');
  }
}

/** The schema with `format` removed from date-time fields (their strings are built by `shape`). */
function withoutTimeFormats(schema: JsonSchema): JsonSchema {
  const properties: JsonSchema['properties'] = {};
  for (const [key, property] of Object.entries(schema.properties)) {
    const { format, ...rest } = property;
    properties[key] = format === 'date-time' ? rest : property;
  }
  return { ...schema, properties };
}
