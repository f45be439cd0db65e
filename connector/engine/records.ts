import type { ErrorObject, ValidateFunction } from 'ajv';
import { createAjv, describeAjvErrors } from '../util/ajv.js';
import { readPackageJson } from '../util/paths.js';
import type { KalturaRow, StreamDefinition } from '../streams/definition.js';
import { isoSeconds } from './isoSeconds.js';
import { allowsNull, castValue, declaredTypes } from './cast.js';

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
 * anything but a number gets the full check, and a record the check refuses is repaired field by
 * field (`repair`): that slow path is only ever taken for such records.
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
  private readonly fieldValidators = new Map<string, ValidateFunction>();
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

  /**
   * Undefined when the record just shaped is valid: the only cost on the hot path is the compiled
   * check. Otherwise each field the schema refuses is cast to its declared type where nothing is
   * lost, or else nulled, in `record` itself (see cast.ts), and the repair says which. A field that
   * can be neither (a key the schema requires) leaves a `problem`, and the record cannot be written.
   */
  repair(record: OutputRecord): RecordRepair | undefined {
    if (!this.needsFullCheck && this.validateShaped(record)) return undefined;
    const validate = (this.validateFully ??= ajv.compile(this.schema));
    // Called as a boolean: as a type guard its "no" would narrow the record to nothing.
    const valid: boolean = validate(record);
    if (valid) return undefined;
    const repair: RecordRepair = { cast: [], nulled: [] };
    for (const field of refusedFields(validate.errors)) {
      const property = this.schema.properties[field];
      if (property === undefined) continue;
      const value = record[field];
      const cast = castValue(value, property, this.fieldValidator(field));
      const what: FieldRepair = { field, sent: kindOf(value), declared: declaredType(property) };
      if (cast) {
        record[field] = cast.value;
        repair.cast.push(what);
      } else if (allowsNull(property)) {
        record[field] = null;
        repair.nulled.push(what);
      }
    }
    if (!validate(record)) repair.problem = describeAjvErrors(validate.errors).join('; ');
    return repair;
  }

  /** Whether a value is one the schema takes for `field` (compiled when a field first needs it). */
  private fieldValidator(field: string): ValidateFunction {
    let validate = this.fieldValidators.get(field);
    if (!validate) {
      // The field's schema with the stream schema's definitions, which its $refs point into.
      validate = ajv.compile({ ...this.schema.properties[field], definitions: this.schema.definitions ?? {} });
      this.fieldValidators.set(field, validate);
    }
    return validate;
  }
}

/** What `repair` did to a record: fields cast without loss, fields nulled, and what it could not mend. */
export interface RecordRepair {
  cast: FieldRepair[];
  nulled: FieldRepair[];
  problem?: string;
}

/** A field mended, described without its value (a value may be anything, a secret included). */
export interface FieldRepair {
  field: string;
  /** What Kaltura sent: "a string", "a number", "a boolean", "a list", "an object". */
  sent: string;
  /** The schema's type, e.g. "integer", "string (date-time)". */
  declared: string;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

function declaredType(property: { type?: unknown; format?: string }): string {
  const types = declaredTypes(property);
  return `${types.join(' or ') || 'null'}${property.format ? ` (${property.format})` : ''}`;
}

/** The top-level fields the validator refused (the first segment of each error's path). */
function refusedFields(errors: ErrorObject[] | null | undefined): Set<string> {
  const fields = new Set<string>();
  for (const e of errors ?? []) {
    const field = e.instancePath.split('/')[1];
    if (field) fields.add(field.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  return fields;
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
