import { ConnectorError } from '../../kaltura/errors.js';
import { streamSchema } from '../../engine/records.js';
import type { StreamSelection, SyncMode } from '../../engine/sync.js';
import { findStream, streams } from '../../streams/index.js';
import { createAjv, describeAjvErrors } from '../../util/ajv.js';
import { readPackageJson } from '../../util/paths.js';

export function airbyteCatalog(): object {
  return {
    streams: streams.map((def) => ({
      name: def.name,
      json_schema: streamSchema(def),
      supported_sync_modes: ['full_refresh', 'incremental'],
      source_defined_cursor: true,
      default_cursor_field: [def.cursorField],
      source_defined_primary_key: def.primaryKey,
      is_resumable: false,
    })),
  };
}

const validateCatalog = createAjv().compile(readPackageJson('connector/protocol/airbyte/schemas/configured-catalog.schema.json') as object);

interface ConfiguredStream {
  stream: { name: string };
  sync_mode: SyncMode;
}

/** The streams a configured catalog selects, each checked against what this connector offers. */
export function selectionsFromCatalog(catalog: unknown, states: Map<string, unknown>): StreamSelection[] {
  if (!validateCatalog(catalog)) {
    throw new ConnectorError('config_error', `The catalog is not a valid configured catalog:\n- ${describeAjvErrors(validateCatalog.errors, 'catalog').join('\n- ')}`);
  }
  const configured = (catalog as { streams: ConfiguredStream[] }).streams;
  const unknown = configured.map((c) => c.stream.name).filter((name) => !findStream(name));
  if (unknown.length > 0) {
    throw new ConnectorError('config_error', `The catalog names ${unknown.map((n) => `"${n}"`).join(', ')}, which this connector does not offer. Its streams are: ${streams.map((s) => s.name).join(', ')}. Run discover again and rebuild the catalog.`);
  }
  return configured.map((c) => ({ def: findStream(c.stream.name)!, mode: c.sync_mode, state: states.get(c.stream.name) }));
}

/** `--state` holds the array of STATE messages a previous run emitted; each carries one stream's state. */
export function statesFromAirbyte(input: unknown): Map<string, unknown> {
  const states = new Map<string, unknown>();
  if (input === undefined) return states;
  const expected = 'It must be the JSON array of STATE messages that a previous run emitted, such as [{"type":"STREAM","stream":{"stream_descriptor":{"name":"media"},"stream_state":{...}}}].';
  if (!Array.isArray(input)) throw new ConnectorError('config_error', `The state file is not an array of per-stream states. ${expected}`);
  input.forEach((item, i) => {
    const entry = item as { type?: unknown; stream?: { stream_descriptor?: { name?: unknown }; stream_state?: unknown } };
    const name = entry?.stream?.stream_descriptor?.name;
    if (entry?.type !== 'STREAM' || typeof name !== 'string') {
      throw new ConnectorError('config_error', `Entry ${i} of the state file is not a per-stream (type STREAM) state. ${expected}`);
    }
    states.set(name, entry.stream?.stream_state);
  });
  return states;
}
