import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createAjv } from '../../connector/util/ajv.js';
import { repoRoot } from '../helpers/cli.js';

// The connector compiles its own schemas without checking them against the meta-schema (that
// costs every process startup time), so this is where a malformed schema is caught.
const shipped = [
  ...readdirSync(join(repoRoot, 'schemas')).filter((f) => f.endsWith('.json')).map((f) => `schemas/${f}`),
  'connector/protocol/airbyte/schemas/airbyte-message.schema.json',
  'connector/protocol/airbyte/schemas/configured-catalog.schema.json',
  'connector/protocol/airbyte/schemas/state-input.schema.json',
  'connector/protocol/singer/schemas/catalog.schema.json',
  'connector/protocol/singer/schemas/state.schema.json',
  'connector/cron/schemas/state-file.schema.json',
];

function read(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(repoRoot, path), 'utf8')) as Record<string, unknown>;
}

test('every schema the package ships is a valid JSON Schema', () => {
  const ajv = createAjv({ validateSchema: true });
  const schemas: Array<[string, unknown]> = shipped.map((path) => [path, read(path)]);
  schemas.push(['spec/spec.json connectionSpecification', read('spec/spec.json').connectionSpecification]);
  assert.ok(schemas.length >= 11);
  for (const [name, schema] of schemas) {
    assert.equal(ajv.validateSchema(schema as object), true, `${name}: ${ajv.errorsText(ajv.errors)}`);
  }
});

test('a malformed schema is caught by that check', () => {
  const ajv = createAjv({ validateSchema: true });
  assert.equal(ajv.validateSchema({ type: 'object', properties: { id: { type: 'strnig' } } }), false);
});
