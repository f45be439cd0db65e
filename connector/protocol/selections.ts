import { ConnectorError } from '../util/errors.js';
import type { StreamSelection, SyncMode } from '../engine/sync.js';
import { streams } from '../streams/index.js';
import type { StreamDefinition } from '../streams/definition.js';
import type { ServerStreams } from '../streams/resolve.js';

// What to read when no catalog says it: every stream, or those `--streams` names. Cron and Singer
// runs both use it; neither protocol adapter owns it.

/**
 * The streams a run may name before any request: the fixed streams, plus any name a metadata
 * profile stream could have (`metadata_<system name>`); which profile streams exist only the
 * server can say, so such names are checked again once its streams are known.
 */
const beforeAnyRequest: Pick<ServerStreams, 'available' | 'unavailable'> = { available: [...streams], unavailable: [] };
const couldBeProfileStream = (name: string) => /^metadata_[a-z0-9_]+$/.test(name);

/** Without a catalog, every stream is read, incrementally where it has a cursor, else in full. */
export function defaultSelections(states: Record<string, unknown>, available: readonly StreamDefinition[] = beforeAnyRequest.available): StreamSelection[] {
  return available.map((def) => (def.cursorField ? { def, mode: 'incremental' as const, state: states[def.name] } : { def, mode: 'full_refresh' as const }));
}

/** One name of `--streams`, with the mode it asks for (`media:full_refresh`), if any. */
export interface RequestedStream {
  name: string;
  mode?: SyncMode;
}

const modes: readonly SyncMode[] = ['full_refresh', 'incremental'];

/** `--streams media,categories:full_refresh` as written; a malformed list is refused here, names are checked later. */
export function parseStreamsFlag(text: string): RequestedStream[] {
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new Error('a comma-separated list of stream names, such as media,categories:full_refresh (no empty name)');
  return items.map((item) => {
    const [name, mode, ...rest] = item.split(':');
    if (rest.length > 0 || (mode !== undefined && !modes.includes(mode as SyncMode))) {
      throw new Error(`"${item}": a stream name, optionally followed by :full_refresh or :incremental`);
    }
    return mode === undefined ? { name: name! } : { name: name!, mode: mode as SyncMode };
  });
}

/**
 * The streams `--streams` names, in the order given, each incremental where it can be unless it
 * asks for `full_refresh`. A name this server cannot serve is refused with the reason, and any
 * other unknown name listing the names it can. Without `server` (before any request), a name that
 * may be a metadata profile's stream is let through, to be checked against the server's own.
 */
export function selectionsFromNames(requested: readonly RequestedStream[], states: Record<string, unknown>, server?: Pick<ServerStreams, 'available' | 'unavailable'>): StreamSelection[] {
  const { available, unavailable } = server ?? beforeAnyRequest;
  const offered = (name: string) => available.some((s) => s.name === name);
  const missing = requested.map((r) => unavailable.find((u) => u.name === r.name)).filter((u) => u !== undefined);
  if (missing.length > 0) {
    throw new ConnectorError('config_error', `--streams names ${missing.map((u) => `${u.name}, which this Kaltura server cannot serve (${u.reason})`).join('; ')}. Leave ${missing.length > 1 ? 'them' : 'it'} out.`);
  }
  const unknown = requested.filter((r) => !offered(r.name) && (server !== undefined || !couldBeProfileStream(r.name))).map((r) => `"${r.name}"`);
  if (unknown.length > 0) {
    const profiles = server ? '' : ' (and one metadata_<name> stream per metadata profile: `discover` lists them)';
    throw new ConnectorError('config_error', `--streams names ${unknown.join(', ')}, which this connector cannot read here. The streams are: ${available.map((s) => s.name).join(', ')}${profiles}.`);
  }
  requested = requested.filter((r) => offered(r.name));
  const problems: string[] = [];
  const seen = new Set<string>();
  const selections: StreamSelection[] = [];
  for (const r of requested) {
    if (seen.has(r.name)) {
      problems.push(`"${r.name}" is named twice`);
      continue;
    }
    seen.add(r.name);
    const def = available.find((s) => s.name === r.name)!;
    const mode = r.mode ?? (def.cursorField ? 'incremental' : 'full_refresh');
    if (mode === 'incremental' && !def.cursorField) {
      problems.push(`"${r.name}" has no cursor, so it can only be read with :full_refresh`);
      continue;
    }
    selections.push(mode === 'incremental' ? { def, mode, state: states[def.name] } : { def, mode });
  }
  if (problems.length > 0) throw new ConnectorError('config_error', `--streams: ${problems.join('; ')}.`);
  return selections;
}
