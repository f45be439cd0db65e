import type { ValidateFunction } from 'ajv';
import { createAjv, describeAjvErrors } from '../util/ajv.js';
import { readPackageJson } from '../util/paths.js';
import type { StreamDefinition } from '../streams/definition.js';

export type JsonSchema = { properties: Record<string, { format?: string; type?: unknown }> } & Record<string, unknown>;
export type KalturaObject = Record<string, unknown>;
export type OutputRecord = Record<string, unknown>;

const ajv = createAjv();
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
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Turns Kaltura objects into records of the stream's schema: only declared fields (sinks that
 * need a column order take it from the schema), `format: date-time` fields converted from unix
 * seconds. Then checks each record against the schema once; a record that fails is reported.
 */
export class RecordShaper {
  /** Declared fields: 1 copied as they are, 2 unix seconds turned into RFC 3339. */
  private readonly fields: Record<string, 1 | 2>;
  private readonly validate: ValidateFunction;

  constructor(def: StreamDefinition) {
    const schema = streamSchema(def);
    this.fields = Object.create(null) as Record<string, 1 | 2>;
    for (const [key, property] of Object.entries(schema.properties)) this.fields[key] = property.format === 'date-time' ? 2 : 1;
    this.validate = ajv.compile(schema);
  }

  /** Walks the fields Kaltura sent (it drops nulls, so fewer than the schema declares). */
  shape(raw: KalturaObject): OutputRecord {
    const out: OutputRecord = {};
    for (const key in raw) {
      const kind = this.fields[key];
      if (kind === undefined) continue;
      const value = raw[key];
      out[key] = kind === 2 && typeof value === 'number' ? isoSeconds(value) : value;
    }
    return out;
  }

  /** Undefined when the record is valid, else one line naming each problem. */
  problems(record: OutputRecord): string | undefined {
    if (this.validate(record)) return undefined;
    return describeAjvErrors(this.validate.errors).join('; ');
  }
}
