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
 * Turns Kaltura objects into records of the stream's schema: only declared fields, in schema
 * order (stable CSV columns), `format: date-time` fields converted from unix seconds. Then checks
 * each record against the schema once; a record that fails is reported with the reason.
 */
export class RecordShaper {
  private readonly keys: string[];
  private readonly timeKeys: Set<string>;
  private readonly validate: ValidateFunction;

  constructor(def: StreamDefinition) {
    const schema = streamSchema(def);
    this.keys = Object.keys(schema.properties);
    this.timeKeys = new Set(this.keys.filter((k) => schema.properties[k]?.format === 'date-time'));
    this.validate = ajv.compile(schema);
  }

  shape(raw: KalturaObject): OutputRecord {
    const out: OutputRecord = {};
    for (const key of this.keys) {
      const value = raw[key];
      if (value === undefined) continue;
      out[key] = typeof value === 'number' && this.timeKeys.has(key) ? isoSeconds(value) : value;
    }
    return out;
  }

  /** Undefined when the record is valid, else one line naming each problem. */
  problems(record: OutputRecord): string | undefined {
    if (this.validate(record)) return undefined;
    return describeAjvErrors(this.validate.errors).join('; ');
  }
}
