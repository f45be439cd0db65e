import { ConnectorError } from '../util/errors.js';
import type { StreamDefinition } from '../streams/definition.js';
import { isoSeconds } from './records.js';

export const stateVersion = 1;

/**
 * A stream's state is one timestamp: every row whose cursor is below it has been delivered.
 * It never holds ids, so it stays the same size however large the account grows, and a person
 * can read it, or edit it to re-sync from a date.
 */
export type StreamState = Record<string, string | number>;

export function makeState(def: StreamDefinition, cursor: number): StreamState {
  return { [def.cursorField]: isoSeconds(cursor), state_version: stateVersion };
}

/** The cursor a saved state holds, in unix seconds; a state of another shape is refused with the fix. */
export function readState(def: StreamDefinition, blob: unknown): number | undefined {
  if (blob === undefined || blob === null) return undefined;
  const reset = `Reset the ${def.name} stream (or remove it from the state file) to start it over.`;
  if (typeof blob !== 'object' || Array.isArray(blob)) {
    throw new ConnectorError('config_error', `The saved state of stream ${def.name} is not an object. ${reset}`);
  }
  const state = blob as Record<string, unknown>;
  if (Object.keys(state).length === 0) return undefined;
  if (state.state_version !== stateVersion) {
    throw new ConnectorError('config_error', `The saved state of stream ${def.name} has state_version ${JSON.stringify(state.state_version)}; this connector reads version ${stateVersion} ({"${def.cursorField}": "<RFC 3339 time>", "state_version": ${stateVersion}}). ${reset}`);
  }
  const value = state[def.cursorField];
  const at = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) {
    throw new ConnectorError('config_error', `The saved state of stream ${def.name} has no valid "${def.cursorField}" time (found ${JSON.stringify(value)}). ${reset}`);
  }
  return Math.floor(at / 1000);
}
