import assert from 'node:assert/strict';
import type { SyncListener } from '../../connector/engine/sync.js';
import type { StreamState } from '../../connector/engine/state.js';

/** A sync listener that keeps every state the engine checkpoints and fails the test on a stream failure. */
export function stateListener(): { states: StreamState[]; listener: SyncListener } {
  const states: StreamState[] = [];
  const listener: SyncListener = {
    started: async () => {},
    estimate: async () => {},
    records: async () => {},
    checkpoint: async (_stream, state) => {
      states.push(state);
    },
    completed: async () => {},
    failed: async (_stream, error) => assert.fail(error.message),
  };
  return { states, listener };
}
