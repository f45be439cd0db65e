import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../../connector/util/ajv.js';
import { repoRoot } from './paths.js';

/**
 * Validators for Airbyte messages and configured catalogs. The official protocol schema lives in
 * ../shared/reference beside the repository (CI has it); a clone elsewhere falls back to the
 * project's own schemas and says so once.
 */
const officialPath = join(repoRoot, '..', 'shared', 'reference', 'airbyte_protocol.yaml');

function load(): { message: ValidateFunction; catalog: ValidateFunction; connectorSpec?: ValidateFunction; source: string } {
  const ajv = createAjv();
  if (existsSync(officialPath)) {
    const doc = yaml.load(readFileSync(officialPath, 'utf8')) as Record<string, unknown>;
    ajv.addSchema({ ...doc, $id: 'airbyte_protocol' });
    return {
      message: ajv.getSchema('airbyte_protocol#/definitions/AirbyteMessage')!,
      catalog: ajv.getSchema('airbyte_protocol#/definitions/ConfiguredAirbyteCatalog')!,
      connectorSpec: ajv.getSchema('airbyte_protocol#/definitions/ConnectorSpecification')!,
      source: officialPath,
    };
  }
  const own = (name: string) => JSON.parse(readFileSync(join(repoRoot, 'connector', 'protocol', 'airbyte', 'schemas', name), 'utf8'));
  return { message: ajv.compile(own('airbyte-message.schema.json')), catalog: ajv.compile(own('configured-catalog.schema.json')), source: 'the project\'s own schemas in connector/protocol/airbyte/schemas' };
}

const validators = load();
// One line per test file; `npm test`'s reporter shows it once.
process.stderr.write(
  validators.connectorSpec
    ? `# Airbyte messages validated against the official protocol schema, ${officialPath}\n`
    : `# Airbyte messages validated against a fallback, ${validators.source}: the official protocol schema is not at ${officialPath} (the spec is then not checked against ConnectorSpecification)\n`,
);

export const airbyteSchemaSource = validators.source;

/** Why a message is not a valid AirbyteMessage, or undefined when it is one. */
export function airbyteMessageProblems(message: unknown): string | undefined {
  return validators.message(message) ? undefined : JSON.stringify(validators.message.errors);
}

/** Throws with the first invalid message and why; returns how many were checked. */
export function assertValidMessages(messages: Array<Record<string, unknown>>): number {
  for (const m of messages) {
    if (!validators.message(m)) throw new Error(`invalid Airbyte message ${JSON.stringify(m).slice(0, 300)}: ${JSON.stringify(validators.message.errors)}`);
  }
  return messages.length;
}

export function assertValidConfiguredCatalog(catalog: unknown): void {
  if (!validators.catalog(catalog)) throw new Error(`invalid configured catalog: ${JSON.stringify(validators.catalog.errors)}`);
}

export function validateConnectorSpec(spec: unknown): string | undefined {
  if (!validators.connectorSpec) return undefined;
  return validators.connectorSpec(spec) ? undefined : JSON.stringify(validators.connectorSpec.errors);
}
