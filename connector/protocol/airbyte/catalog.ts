import { ConnectorError } from '../../util/errors.js';
import { streamSchema } from '../../engine/records.js';
import type { StreamSelection, SyncMode } from '../../engine/sync.js';
import { findStream, streams } from '../../streams/index.js';
import { catalogStream, type ServerStreams } from '../../streams/resolve.js';
import type { StreamDefinition } from '../../streams/definition.js';
import { createAjv, describeAjvErrors } from '../../util/ajv.js';
import { readPackageJson } from '../../util/paths.js';
import { checkDepth, describeJsonError, parseJsonText, readTextFile } from '../../util/files.js';
import { isObject } from '../../util/json.js';

/** The catalog of the streams this server offers (see resolveStreams), fixed streams first. */
export function airbyteCatalog(available: readonly StreamDefinition[] = streams): object {
  return {
    streams: available.map((def) => ({
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

const ajv = createAjv();
const validateCatalog = ajv.compile(readPackageJson('connector/protocol/airbyte/schemas/configured-catalog.schema.json') as object);
const validateStates = ajv.compile(readPackageJson('connector/protocol/airbyte/schemas/state-input.schema.json') as object);
const validateStateEntry = ajv.compile({ $ref: 'airbyte-state-input#/definitions/entry' });

interface ConfiguredStream {
  stream: { name: string; json_schema?: unknown };
  sync_mode: SyncMode;
}

/**
 * The streams a configured catalog selects, each checked against what this server offers
 * (`server`; without it, the fixed streams). A selected stream the server cannot serve (a missing
 * plugin, a profile gone) is kept, to fail alone with the reason while the others are read.
 */
export function selectionsFromCatalog(catalog: unknown, states: Map<string, unknown>, server?: ServerStreams): StreamSelection[] {
  if (!validateCatalog(catalog)) {
    throw new ConnectorError('config_error', `The catalog is not a valid configured catalog:\n- ${describeAjvErrors(validateCatalog.errors, 'catalog').join('\n- ')}`);
  }
  const configured = (catalog as { streams: ConfiguredStream[] }).streams;
  const names = configured.map((c) => c.stream.name);
  const twice = [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
  if (twice.length > 0) {
    // Read twice, a stream would deliver every record twice and interleave two sequences of states.
    throw new ConnectorError('config_error', `The catalog lists ${twice.map((n) => `"${n}"`).join(', ')} more than once. List each stream once, with the sync mode it should be read in.`);
  }
  const offered = server ? server.available : streams;
  const lookup = (c: ConfiguredStream) => (server ? catalogStream(server, c.stream.name, c.stream.json_schema) : findStream(c.stream.name));
  const unknown = configured.filter((c) => !lookup(c)).map((c) => c.stream.name);
  if (unknown.length > 0) {
    throw new ConnectorError('config_error', `The catalog names ${unknown.map((n) => `"${n}"`).join(', ')}, which this connector does not offer. Its streams are: ${offered.map((s) => s.name).join(', ')}. Run discover again and rebuild the catalog.`);
  }
  return configured.map((c) => ({ def: lookup(c)!, mode: c.sync_mode, state: states.get(c.stream.name) }));
}

const expectedState =
  'It must be what a previous run emitted: the JSON array of its state messages, such as [{"type":"STREAM","stream":{"stream_descriptor":{"name":"media"},"stream_state":{...}}}] (what the Airbyte platform passes), or its STATE lines as printed ({"type":"STATE","state":{...}}), in a JSON array or one per line.';

/**
 * `--state` holds the state messages a previous run emitted, in any of the forms they travel in:
 * - the Airbyte platform's: a JSON array of AirbyteStateMessage (`{"type":"STREAM","stream":{...}}`);
 * - the lines as this connector printed them: AirbyteMessage `{"type":"STATE","state":{...}}`, in a
 *   JSON array or one per line (JSON Lines, e.g. `grep '"type":"STATE"' out.jsonl`);
 * - one such message on its own (not in an array).
 * When a stream has several, the last one wins: a run's states never move backwards.
 */
export function statesFromAirbyte(input: unknown): Map<string, unknown> {
  const states = new Map<string, unknown>();
  if (input === undefined) return states;
  if (!validateStates(input)) throw new ConnectorError('config_error', stateProblem(input));
  const items: unknown[] = Array.isArray(input) ? input : [input];
  for (const item of items) {
    // An AirbyteMessage as printed carries the AirbyteStateMessage in `state`.
    const entry = (item as { type: string; state?: StreamStateMessage }).type === 'STATE' ? (item as { state: StreamStateMessage }).state : (item as StreamStateMessage);
    states.set(entry.stream.stream_descriptor.name, entry.stream.stream_state);
  }
  return states;
}

interface StreamStateMessage {
  type: 'STREAM';
  stream: { stream_descriptor: { name: string }; stream_state?: unknown };
}

/** Why `--state` is not one of the forms the schema accepts: the first entry that is not, and what it is instead. */
function stateProblem(input: unknown): string {
  const single = isObject(input) && (input.type === 'STATE' || input.type === 'STREAM' || input.type === 'GLOBAL' || input.type === 'LEGACY');
  if (!Array.isArray(input) && !single) return `The state file is not an array of per-stream states. ${expectedState}`;
  const items: unknown[] = Array.isArray(input) ? input : [input];
  const i = items.findIndex((item) => !validateStateEntry(item));
  const item = items[i];
  const entry = isObject(item) && item.type === 'STATE' && isObject(item.state) ? item.state : item;
  const kind = isObject(entry) ? entry.type : undefined;
  if (kind === 'GLOBAL' || kind === 'LEGACY') return `Entry ${i} of the state file is a ${kind} state, which this connector never writes (its states are per stream). ${expectedState}`;
  return `Entry ${i} of the state file is not a per-stream (type STREAM) state. ${expectedState}`;
}

/**
 * Reads the `--state` file: JSON, or JSON Lines (the STATE lines of a run's output, one per line),
 * which is read as an array of its lines.
 */
export async function readAirbyteStateFile(path: string): Promise<unknown> {
  const text = await readTextFile(path, 'state');
  checkDepth(text, path, 'state');
  try {
    return parseJsonText(text, path, 'state');
  } catch (err) {
    const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    if (lines.length < 2) throw err;
    const parsed: unknown[] = [];
    for (const [i, line] of lines.entries()) {
      try {
        parsed.push(JSON.parse(line));
      } catch {
        const { problem, column } = describeJsonError(line);
        throw new ConnectorError('config_error', `The state file ${path} is neither JSON nor JSON Lines: ${problem} at line ${i + 1}, column ${column}. ${expectedState}`);
      }
    }
    return parsed;
  }
}
