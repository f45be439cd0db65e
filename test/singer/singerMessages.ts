import assert from 'node:assert/strict';
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../../connector/util/ajv.js';

/**
 * The Singer message shapes of ../shared/protocols.md, as JSON Schemas:
 *   {"type":"SCHEMA","stream","schema","key_properties":[...],"bookmark_properties":[...]}
 *   {"type":"RECORD","stream","record","time_extracted":"<RFC 3339>"}
 *   {"type":"STATE","value":{"bookmarks":{"<stream>":{...}}}}
 */
const ajv = createAjv();
const stringList = { type: 'array', items: { type: 'string' } };

const messageSchemas: Record<string, object> = {
  SCHEMA: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'stream', 'schema', 'key_properties', 'bookmark_properties'],
    properties: { type: { const: 'SCHEMA' }, stream: { type: 'string', minLength: 1 }, schema: { type: 'object', required: ['type', 'properties'] }, key_properties: stringList, bookmark_properties: stringList },
  },
  RECORD: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'stream', 'record', 'time_extracted'],
    properties: { type: { const: 'RECORD' }, stream: { type: 'string', minLength: 1 }, record: { type: 'object' }, time_extracted: { type: 'string', format: 'date-time' } },
  },
  STATE: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'value'],
    properties: {
      type: { const: 'STATE' },
      value: { type: 'object', additionalProperties: false, required: ['bookmarks'], properties: { bookmarks: { type: 'object', additionalProperties: { type: 'object' } } } },
    },
  },
};

/** A plain boolean, so that a failed check does not narrow the message's type. */
const passes = (validate: ValidateFunction, data: unknown): boolean => validate(data) === true;

const validators: Record<string, ValidateFunction> = Object.fromEntries(Object.entries(messageSchemas).map(([type, schema]) => [type, ajv.compile(schema)]));

/**
 * Checks every message against its Singer shape, that a stream's SCHEMA comes before its first
 * RECORD, that each RECORD matches the schema its SCHEMA announced and holds its key properties.
 * Returns the messages grouped for the test's own assertions.
 */
export function assertValidSingerOutput(messages: Array<Record<string, any>>): { schemas: Map<string, Record<string, any>>; records: Map<string, Array<Record<string, any>>>; states: Array<Record<string, any>> } {
  const schemas = new Map<string, Record<string, any>>();
  const recordValidators = new Map<string, ValidateFunction>();
  const records = new Map<string, Array<Record<string, any>>>();
  const states: Array<Record<string, any>> = [];
  messages.forEach((m, i) => {
    const validate = validators[m.type as string];
    assert.ok(validate, `message ${i} has a Singer type: ${JSON.stringify(m).slice(0, 200)}`);
    assert.ok(passes(validate, m), `message ${i} (${m.type}) matches the Singer shape: ${JSON.stringify(validate.errors)} in ${JSON.stringify(m).slice(0, 300)}`);
    if (m.type === 'SCHEMA') {
      schemas.set(m.stream, m);
      recordValidators.set(m.stream, createAjv().compile(m.schema));
    } else if (m.type === 'RECORD') {
      const check = recordValidators.get(m.stream);
      assert.ok(check, `message ${i}: a RECORD of ${m.stream} before its SCHEMA`);
      assert.ok(passes(check, m.record), `message ${i}: the ${m.stream} record matches its SCHEMA: ${JSON.stringify(check.errors)}`);
      for (const key of schemas.get(m.stream)!.key_properties as string[]) assert.ok(m.record[key] !== undefined, `message ${i}: the record has its key ${key}`);
      if (!records.has(m.stream)) records.set(m.stream, []);
      records.get(m.stream)!.push(m.record);
    } else {
      states.push(m);
    }
  });
  return { schemas, records, states };
}
