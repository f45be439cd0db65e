import type { ValidateFunction } from 'ajv';
import { createAjv, describeAjvErrors } from '../util/ajv.js';
import { readPackageJson } from '../util/paths.js';
import type { KalturaRow, StreamDefinition } from '../streams/definition.js';

export type JsonSchema = { properties: Record<string, { format?: string; type?: unknown }> } & Record<string, unknown>;
/** The engine's name for a Kaltura object before it is shaped (one type: streams/definition.ts's). */
export type KalturaObject = KalturaRow;
export type OutputRecord = Record<string, unknown>;

const ajv = createAjv();
/** Stops at the first problem: the hot path only needs a yes; the full validator explains a no. */
const fastAjv = createAjv({ allErrors: false });
const schemas = new Map<string, JsonSchema>();

export function streamSchema(def: StreamDefinition): JsonSchema {
  // Streams made at run time (one per metadata profile) carry their schema inline.
  if (def.schema) return def.schema as JsonSchema;
  let schema = schemas.get(def.schemaFile);
  if (!schema) {
    schema = readPackageJson(`schemas/${def.schemaFile}`) as JsonSchema;
    schemas.set(def.schemaFile, schema);
  }
  return schema;
}

/** Unix seconds as RFC 3339 UTC without fractions, the form every output uses. */
export function isoSeconds(seconds: number): string {
  // Every record carries several times: the date part is remembered per day, the time of day is
  // written from a table, instead of a Date and toISOString for each (5× the cost).
  if (!Number.isInteger(seconds) || seconds < 0 || seconds >= lastWholeSecond) return generalIso(seconds);
  const day = Math.floor(seconds / secondsPerDay);
  let date = dayPrefixes.get(day);
  if (date === undefined) {
    if (dayPrefixes.size >= maxDaysRemembered) dayPrefixes.clear();
    date = new Date(day * secondsPerDay * 1000).toISOString().slice(0, 11);
    dayPrefixes.set(day, date);
  }
  let rest = seconds - day * secondsPerDay;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  return `${date}${twoDigits[hours]}:${twoDigits[minutes]}:${twoDigits[rest - minutes * 60]}Z`;
}

const secondsPerDay = 86_400;
/** 9999-12-31T23:59:59Z + 1: later times, fractions and negatives take the general path. */
const lastWholeSecond = 253_402_300_800;
const maxDaysRemembered = 4096;
const dayPrefixes = new Map<number, string>();
const twoDigits = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));

function generalIso(seconds: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  // Whole seconds: drop the ".000" toISOString always writes (dates before year 0 keep their form).
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/**
 * Turns Kaltura objects into records of the stream's schema: declared fields only, in schema
 * order, `format: date-time` fields converted from unix seconds. Kaltura leaves out null fields,
 * so the objects of one page come in hundreds of key sets: reading 60 named fields from each
 * would make every property access megamorphic. Instead the object's own keys are walked once and
 * placed by position, and the record is built from those positions by a function generated once
 * from the schema as one object literal, so every record of a stream has the same hidden class:
 * validation and JSON.stringify stay on their fast paths. Absent fields are `undefined`, which
 * JSON.stringify and the sinks leave out.
 *
 * Each record is then checked against the schema once, by a validator compiled without the
 * date-time formats (those strings were just built from numbers); a record whose time field held
 * anything but a number gets the full check.
 */
export class RecordShaper {
  private readonly build: (values: unknown[], time: (value: unknown) => unknown) => OutputRecord;
  /** Schema fields by name, their positions as values; no prototype, so no inherited names. */
  private readonly positions: Record<string, number> = Object.create(null) as Record<string, number>;
  /** One scratch row, reused: `build` copies it out before `shape` returns. */
  private readonly values: unknown[];
  private readonly validateShaped: ValidateFunction;
  /** Compiled when a record first needs it: most reads never do. */
  private validateFully: ValidateFunction | undefined;
  private readonly schema: JsonSchema;
  private needsFullCheck = false;
  private readonly time = (value: unknown): unknown => {
    if (typeof value === 'number') return isoSeconds(value);
    if (value !== undefined && value !== null) this.needsFullCheck = true;
    return value;
  };

  constructor(def: StreamDefinition) {
    const schema = streamSchema(def);
    const properties = Object.entries(schema.properties);
    const fields = properties.map(([key, property], position) => {
      this.positions[key] = position;
      const read = `values[${position}]`;
      return `${JSON.stringify(key)}: ${property.format === 'date-time' ? `time(${read})` : read}`;
    });
    this.values = new Array<unknown>(properties.length).fill(undefined);
    // The keys come from our own schema files and are quoted with JSON.stringify.
    this.build = new Function('values', 'time', `return {${fields.join(', ')}};`) as typeof this.build;
    this.schema = schema;
    this.validateShaped = fastAjv.compile(withoutTimeFormats(schema));
  }

  shape(raw: KalturaObject): OutputRecord {
    this.needsFullCheck = false;
    const values = this.values;
    values.fill(undefined);
    for (const key in raw) {
      const position = this.positions[key];
      if (position !== undefined) values[position] = raw[key];
    }
    return this.build(values, this.time);
  }

  /** Undefined when the record just shaped is valid, else one line naming each problem. */
  problems(record: OutputRecord): string | undefined {
    if (!this.needsFullCheck && this.validateShaped(record)) return undefined;
    this.validateFully ??= ajv.compile(this.schema);
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
