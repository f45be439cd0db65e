import { ConnectorError } from '../../util/errors.js';
import { streamSchema, type JsonSchema } from '../../engine/records.js';
import type { StreamSelection } from '../../engine/sync.js';
import { streams } from '../../streams/index.js';
import type { StreamDefinition } from '../../streams/definition.js';
import { catalogStream, type ServerStreams } from '../../streams/resolve.js';
import { createAjv } from '../../util/ajv.js';
import { excerpt, isObject } from '../../util/json.js';
import { readPackageJson } from '../../util/paths.js';
import type { SingerCatalogInput, SingerStateInput } from '../../generated/singer.js';

// Singer catalogs: `streams[]` of `tap_stream_id`, `stream`, `schema` and `metadata`, where
// metadata is a list of `{breadcrumb, metadata}`: `[]` for the stream, `["properties", field]`
// for a field. The user (or Meltano's `select`) marks what to read with `selected`.

export type ReplicationMethod = 'FULL_TABLE' | 'INCREMENTAL';

/** A stream to read as a Singer catalog selects it (fields included: the engine emits only those). */
export type SingerSelection = StreamSelection;

interface MetadataEntry {
  breadcrumb: string[];
  metadata: Record<string, unknown>;
}

/** The cursor a stream can be read incrementally on; a stream without one is read in full. */
function replicationKeyOf(def: StreamDefinition): string | undefined {
  return def.cursorField || undefined;
}

/** Fields that are always emitted: the primary key and the replication key. */
function automaticFields(def: StreamDefinition): Set<string> {
  const fields = new Set(def.primaryKey.map((path) => path[0]!));
  const key = replicationKeyOf(def);
  if (key) fields.add(key);
  return fields;
}

export function keyProperties(def: StreamDefinition): string[] {
  return def.primaryKey.map((path) => path[0]!);
}

/**
 * The stream's JSON Schema for Singer: the same document as Airbyte's, without the `airbyte_*`
 * annotations (Singer targets do not know them), optionally limited to the selected fields.
 */
export function singerSchema(def: StreamDefinition, fields?: string[]): JsonSchema {
  const schema = stripAirbyteKeys(streamSchema(def)) as JsonSchema;
  if (!fields) return schema;
  const keep = new Set(fields);
  schema.properties = Object.fromEntries(Object.entries(schema.properties).filter(([name]) => keep.has(name)));
  if (Array.isArray(schema.required)) schema.required = (schema.required as string[]).filter((name) => keep.has(name));
  return schema;
}

function stripAirbyteKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripAirbyteKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith('airbyte_') && key !== '$schema')
      .map(([key, v]) => [key, stripAirbyteKeys(v)]),
  );
}

/**
 * What `--discover` prints. Nothing is marked `selected`: that is the user's choice. `available`
 * is the connector's streams; a test may hand in others (a stream without a cursor, say).
 */
export function singerCatalog(available: readonly StreamDefinition[] = streams): { streams: object[] } {
  return {
    streams: available.map((def) => {
      const schema = singerSchema(def);
      const replicationKey = replicationKeyOf(def);
      const automatic = automaticFields(def);
      const streamMetadata: Record<string, unknown> = {
        inclusion: 'available',
        'selected-by-default': true,
        'table-key-properties': keyProperties(def),
      };
      if (replicationKey) streamMetadata['valid-replication-keys'] = [replicationKey];
      else streamMetadata['forced-replication-method'] = 'FULL_TABLE';
      const metadata: MetadataEntry[] = [{ breadcrumb: [], metadata: streamMetadata }];
      for (const field of Object.keys(schema.properties)) {
        metadata.push({
          breadcrumb: ['properties', field],
          metadata: automatic.has(field) ? { inclusion: 'automatic' } : { inclusion: 'available', 'selected-by-default': true },
        });
      }
      return { tap_stream_id: def.name, stream: def.name, schema, metadata };
    }),
  };
}

const catalogShape = 'A Singer catalog is {"streams": [{"tap_stream_id": "media", "schema": {...}, "metadata": [{"breadcrumb": [], "metadata": {"selected": true}}, ...]}]}, as --discover prints it.';

const ajv = createAjv();
const validateCatalog = ajv.compile<SingerCatalogInput>(readPackageJson('connector/protocol/singer/schemas/catalog.schema.json') as object);
const validateState = ajv.compile<SingerStateInput>(readPackageJson('connector/protocol/singer/schemas/state.schema.json') as object);

type CatalogEntry = SingerCatalogInput['streams'][number];

/**
 * The structural problems of a catalog, by its schema, said per entry as a person reads it; the
 * indexes of the entries that have one.
 */
function shapeProblems(catalog: unknown): { problems: string[]; invalid: Set<number> } {
  const problems = new Map<string, string>();
  const invalid = new Set<number>();
  if (validateCatalog(catalog)) return { problems: [], invalid };
  for (const e of validateCatalog.errors ?? []) {
    const at = e.instancePath.split('/').slice(1);
    if (at.length < 2) throw new ConnectorError('config_error', `The catalog has no "streams" list. ${catalogShape}`);
    const i = Number(at[1]);
    invalid.add(i);
    const entry = (catalog as { streams: unknown[] }).streams[i];
    const where = `streams[${i}]`;
    if (!isObject(entry)) {
      problems.set(where, `${where} is not an object`);
      continue;
    }
    const { tap_stream_id: id, stream } = entry as CatalogEntry;
    const named = `${where} (${typeof id === 'string' ? id : stream})`;
    if (at.length === 2 || at[2] === 'tap_stream_id' || at[2] === 'stream') problems.set(where, `${where} has no "tap_stream_id"`);
    else if (at[2] === 'metadata' && at.length === 3) problems.set(`${where} metadata`, `${named}: "metadata" must be a list of {"breadcrumb", "metadata"}`);
    else if (at[2] === 'metadata') problems.set(`${where} metadata`, `${named}: metadata[${at[3]}] must be {"breadcrumb": [] or ["properties", "<field>"], "metadata": {...}}`);
    else problems.set(`${where} ${e.instancePath}`, `${where}${e.instancePath.slice(`/streams/${i}`.length).replace(/\//g, '.')} ${e.message ?? 'is invalid'}`);
  }
  return { problems: [...problems.values()], invalid };
}

/**
 * The streams a Singer catalog selects, checked against what this connector offers. A stream is
 * read when its metadata says `selected: true` (or, without `selected`, `selected-by-default`),
 * with the `replication-method` it asks for, INCREMENTAL by default when the stream has a cursor.
 */
export function selectionsFromSingerCatalog(catalog: unknown, bookmarks: Record<string, unknown>, offered: readonly StreamDefinition[] | ServerStreams = streams): SingerSelection[] {
  // With the server's streams, a selected stream it cannot serve is kept, to fail alone with the reason.
  const server = Array.isArray(offered) ? undefined : (offered as ServerStreams);
  const available = server ? server.available : (offered as readonly StreamDefinition[]);
  const lookup = (name: string, schema: unknown) => (server ? catalogStream(server, name, schema) : available.find((s) => s.name === name));
  const { problems, invalid } = shapeProblems(catalog);
  // Entries with a shape problem (in `invalid`) are skipped below; the others are valid CatalogEntries.
  const entries = (catalog as SingerCatalogInput).streams;
  const selections: SingerSelection[] = [];
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (invalid.has(i)) return;
    const where = `streams[${i}]`;
    const name = (e.tap_stream_id ?? e.stream)!;
    const metadata = new Map((e.metadata ?? []).map((m) => [m.breadcrumb.length === 0 ? '' : m.breadcrumb[1]!, m.metadata]));
    const streamMd = metadata.get('') ?? {};
    if (!isSelected(streamMd, false)) return;
    const def = lookup(name, e.schema);
    if (!def) {
      problems.push(`${where} selects "${name}", which this connector does not offer (its streams are: ${available.map((s) => s.name).join(', ')}); run --discover again`);
      return;
    }
    if (seen.has(name)) {
      problems.push(`${where}: stream "${name}" is listed twice`);
      return;
    }
    seen.add(name);
    const method = replicationMethod(def, streamMd, `${where} (${name})`, problems);
    if (!method) return;
    const selection: SingerSelection = { def, mode: method === 'INCREMENTAL' ? 'incremental' : 'full_refresh' };
    if (method === 'INCREMENTAL') selection.state = bookmarks[name];
    const fields = selectedFields(def, metadata);
    if (fields) selection.fields = fields;
    selections.push(selection);
  });
  if (problems.length > 0) {
    throw new ConnectorError('config_error', `The catalog has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n- ${problems.join('\n- ')}\n${catalogShape}`);
  }
  return selections;
}

/**
 * Singer's rule: automatic is always in, unsupported never; else `selected`, else
 * `selected-by-default`, else the fallback (streams: out; fields of a selected stream: in).
 */
function isSelected(md: Record<string, unknown>, fallback: boolean): boolean {
  if (md.inclusion === 'automatic') return true;
  if (md.inclusion === 'unsupported') return false;
  if (typeof md.selected === 'boolean') return md.selected;
  if (typeof md['selected-by-default'] === 'boolean') return md['selected-by-default'];
  return fallback;
}

function replicationMethod(def: StreamDefinition, md: Record<string, unknown>, where: string, problems: string[]): ReplicationMethod | undefined {
  const key = replicationKeyOf(def);
  const asked = md['replication-method'] ?? md['forced-replication-method'];
  if (asked !== undefined && asked !== 'FULL_TABLE' && asked !== 'INCREMENTAL') {
    problems.push(`${where}: replication-method ${excerpt(asked, 60)} is not supported; use "INCREMENTAL"${key ? '' : ' (not for this stream: it has no replication key)'} or "FULL_TABLE"`);
    return undefined;
  }
  const method: ReplicationMethod = (asked as ReplicationMethod | undefined) ?? (key ? 'INCREMENTAL' : 'FULL_TABLE');
  if (method === 'INCREMENTAL') {
    if (!key) {
      problems.push(`${where}: this stream has no replication key, so it can only be read with replication-method "FULL_TABLE"`);
      return undefined;
    }
    const replicationKey = md['replication-key'];
    if (replicationKey !== undefined && replicationKey !== key) {
      problems.push(`${where}: replication-key ${excerpt(replicationKey, 60)} is not supported; this stream's only replication key is "${key}"`);
      return undefined;
    }
  }
  return method;
}

/** The selected fields in schema order, or undefined when every field is selected. */
function selectedFields(def: StreamDefinition, metadata: Map<string, Record<string, unknown>>): string[] | undefined {
  const all = Object.keys(streamSchema(def).properties);
  const automatic = automaticFields(def);
  const fields = all.filter((field) => {
    if (automatic.has(field)) return true;
    const md = metadata.get(field);
    return md === undefined || isSelected(md, true);
  });
  return fields.length === all.length ? undefined : fields;
}

/**
 * The bookmarks of a Singer state: `{"bookmarks": {...}}` as Meltano hands it over, or the
 * `{"value": {"bookmarks": ...}}` of a STATE message. `{}` (no state yet) has no bookmarks.
 */
export function bookmarksFromSingerState(input: unknown): Record<string, unknown> {
  const expected = 'It must be {"bookmarks": {"media": {"updatedAt": "<RFC 3339 time>", "state_version": 1}, ...}} (or the "value" of a STATE message).';
  if (input === undefined || input === null) return {};
  if (!validateState(input)) {
    const at = (validateState.errors ?? []).map((e) => e.instancePath).find((p) => p !== '') ?? '';
    const what = at === '' ? 'The state is not a JSON object' : at === '/value' ? 'The state\'s "value" is not an object' : 'The state\'s "bookmarks" is not an object';
    throw new ConnectorError('config_error', `${what}. ${expected}`);
  }
  // The schema's else-branch (no `bookmarks`: a STATE message's `value`) has no generated type.
  const value = input.bookmarks ? undefined : (input.value as SingerStateInput | undefined);
  return { ...(input.bookmarks ?? value?.bookmarks ?? {}) };
}
