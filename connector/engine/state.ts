import { ConnectorError } from '../util/errors.js';
import type { StreamDefinition } from '../streams/definition.js';
import { isoSeconds } from './isoSeconds.js';
import { RangeSet } from './ranges.js';

export const stateVersion = 2;

/**
 * A stream's state, as every protocol carries it:
 *
 *   {"updatedAt": "2024-05-01T12:00:00Z", "state_version": 2,
 *    "slices": [{"start": "2024-06-01T00:00:00Z", "end": "2024-06-03T08:00:00Z"}]}
 *
 * `updatedAt` (the stream's cursor field): every row whose cursor is below it has been delivered;
 * the next read starts `lookback_window_seconds` before it. `slices`, present only after a read
 * that stopped part way: further ranges read completely, `start` included, `end` not; the next
 * read skips them. Slices are merged as they touch; the read that covers the gap below them moves
 * the mark past them, so a finished read leaves the one timestamp. Either part may be absent (a first read
 * killed before its lowest window moved has slices only). No ids are kept: the state stays small
 * however large the account grows, and a person can read it, or edit it to re-sync from a date.
 * States of version 1 (`{"updatedAt": …, "state_version": 1}`) are read as a mark alone.
 */
export type StreamState = Record<string, unknown>;

/** What a saved state says was delivered. */
export interface Coverage {
  /** Every row whose cursor is below it (unix seconds) has been delivered. */
  mark?: number;
  /** Ranges above the mark read completely, `[from, to)` in unix seconds. */
  slices: RangeSet;
}

export function makeState(def: StreamDefinition, coverage: Coverage): StreamState {
  const state: StreamState = {};
  if (coverage.mark !== undefined) state[def.cursorField] = isoSeconds(coverage.mark);
  state.state_version = stateVersion;
  const slices = coverage.slices.list();
  if (slices.length > 0) state.slices = slices.map((r) => ({ start: isoSeconds(r.from), end: isoSeconds(r.to) }));
  return state;
}

/** The coverage a saved state holds; a state of another shape is refused with the fix. */
export function readState(def: StreamDefinition, blob: unknown): Coverage | undefined {
  if (blob === undefined || blob === null) return undefined;
  const reset = `Reset the ${def.name} stream (or remove it from the state file) to start it over.`;
  const refuse = (problem: string) => new ConnectorError('config_error', `The saved state of stream ${def.name} ${problem}. ${reset}`);
  if (typeof blob !== 'object' || Array.isArray(blob)) throw refuse('is not an object');
  const state = blob as Record<string, unknown>;
  if (Object.keys(state).length === 0) return undefined;
  const version = state.state_version;
  if (version !== 1 && version !== stateVersion) {
    throw refuse(`has state_version ${JSON.stringify(version)}; this connector reads versions 1 and ${stateVersion} ({"${def.cursorField}": "<RFC 3339 time>", "state_version": ${stateVersion}}, with "slices" after an interrupted read)`);
  }
  const time = (value: unknown, what: string): number => {
    const at = typeof value === 'string' ? Date.parse(value) : NaN;
    if (Number.isNaN(at)) throw refuse(`has no valid ${what} time (found ${JSON.stringify(value)})`);
    return Math.floor(at / 1000);
  };
  // Version 1 always holds the cursor; version 2 may hold slices alone.
  const mark = version === 1 || state[def.cursorField] !== undefined || state.slices === undefined ? time(state[def.cursorField], `"${def.cursorField}"`) : undefined;
  const slices = new RangeSet();
  if (version === stateVersion && state.slices !== undefined) {
    if (!Array.isArray(state.slices)) throw refuse('has "slices" that is not a list');
    for (const slice of state.slices as unknown[]) {
      if (slice === null || typeof slice !== 'object') throw refuse(`has a slice that is not an object (${JSON.stringify(slice)})`);
      const { start, end } = slice as Record<string, unknown>;
      const from = time(start, 'slice "start"');
      const to = time(end, 'slice "end"');
      if (to <= from) throw refuse(`has a slice that ends before it starts (${JSON.stringify(slice)})`);
      slices.add(from, to);
    }
  }
  return normalized({ mark, slices });
}

/**
 * Slices below the mark are dropped. One that starts at the mark stays apart: the mark still owes
 * its lookback (rows Kaltura's index showed late), which only a read from below it settles.
 */
export function normalized(coverage: Coverage): Coverage {
  const { mark } = coverage;
  return { mark, slices: mark === undefined ? coverage.slices : coverage.slices.within(mark, Number.POSITIVE_INFINITY) };
}
