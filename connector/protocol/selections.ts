import { ConnectorError } from '../util/errors.js';
import type { StreamSelection, SyncMode } from '../engine/sync.js';
import { streams } from '../streams/index.js';
import type { StreamDefinition } from '../streams/definition.js';

// What to read when no catalog says it: every stream, or those `--streams` names. Cron and Singer
// runs both use it; neither protocol adapter owns it.

/**
 * The streams this run can read. The one place that says so: a list resolved per server (streams
 * whose plugin is missing left out) replaces this function, and every check below follows.
 */
export function availableStreams(): readonly StreamDefinition[] {
  return streams;
}

/** Without a catalog, every stream is read, incrementally where it has a cursor, else in full. */
export function defaultSelections(states: Record<string, unknown>, available: readonly StreamDefinition[] = availableStreams()): StreamSelection[] {
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
 * asks for `full_refresh`. A name this run cannot read is refused, listing the names it can.
 */
export function selectionsFromNames(requested: readonly RequestedStream[], states: Record<string, unknown>, available: readonly StreamDefinition[] = availableStreams()): StreamSelection[] {
  const valid = available.map((s) => s.name).join(', ');
  const unknown = requested.filter((r) => !available.some((s) => s.name === r.name)).map((r) => `"${r.name}"`);
  if (unknown.length > 0) {
    throw new ConnectorError('config_error', `--streams names ${unknown.join(', ')}, which this connector cannot read here. The streams are: ${valid}.`);
  }
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
