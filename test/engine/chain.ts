/**
 * A chain of runs as a scheduler would make them: each run dies after a given number of writes,
 * the next resumes from the last state the dead one wrote, and finally runs go on unkilled until
 * one completes. The clock moves two seconds between runs, so a row changed during one run lies
 * inside the next one's range.
 */
import type { StreamState } from '../../connector/engine/state.js';
import type { StreamDefinition } from '../../connector/streams/definition.js';
import type { FakeKaltura, FakeTable } from './fakeTable.js';
import { readStream, type ReadSettings } from './port.js';
import type { ChainRun } from './reference.js';

export interface ChainPlan {
  kaltura: FakeKaltura;
  /** The stream's own table (whose changes the reference follows). */
  table: FakeTable;
  def: StreamDefinition;
  mode: 'full_refresh' | 'incremental';
  settings: ReadSettings;
  state?: StreamState;
  /** Writes after which each killed run dies, in order. */
  kills?: number[];
  /** Unkilled runs allowed after the kills (a run may refuse with a transient error, to be run again). */
  retries?: number;
}

export async function readChain(plan: ChainPlan): Promise<ChainRun[]> {
  const runs: ChainRun[] = [];
  let state = plan.state;
  const attempts = [...(plan.kills ?? []), ...Array<undefined>(1 + (plan.retries ?? 2)).fill(undefined)];
  for (const killAfterWrites of attempts) {
    const changeAtStart = plan.table.change;
    const run = await readStream(plan.kaltura, { def: plan.def, mode: plan.mode, state, settings: plan.settings, killAfterWrites });
    runs.push({ run, state, changeAtStart, changeAtEnd: plan.table.change });
    plan.kaltura.clock.advance(2);
    if (plan.mode === 'incremental') state = run.checkpoints[run.checkpoints.length - 1]?.state ?? state;
    if (killAfterWrites === undefined && (run.outcome === 'completed' || run.error?.failureType !== 'transient_error')) break;
  }
  return runs;
}
