/**
 * The naive reference: what a correct read of a fake table must deliver, written without any of
 * the engine's cleverness, and the checks that compare a chain of runs (killed ones, then the
 * resume that completes) with it.
 *
 * A chain starts from a state (or none) and ends with a run that completes and writes its final
 * state F. Then:
 * - none lost: every row in the table at the end whose cursor lies in [L, F) (L: the chain's
 *   starting state, or start_date if later) was written in that very version by some run, before that run's last state
 *   (a destination keeps what a killed run wrote only up to its last state). A row changed during
 *   the chain has its new cursor; if that is below F, a later run had to read it again;
 * - none outside: every record written is a version the row really had while that run read, with
 *   its cursor within the run's range [start of the read, the read's end];
 * - duplicates bounded: within one run a row is written at most once, unless it changed meanwhile.
 */
import { readState, type StreamState } from '../../connector/engine/state.js';
import type { StreamDefinition } from '../../connector/streams/definition.js';
import type { FakeTable, Row } from './fakeTable.js';
import type { ReadRun } from './port.js';

/** One run of a chain and what the table went through while it ran. */
export interface ChainRun {
  run: ReadRun;
  /** The state it started from (undefined: none). */
  state?: StreamState;
  /** The table's change counter when the run started and when it ended. */
  changeAtStart: number;
  changeAtEnd: number;
}

export interface ChainSpec {
  def: StreamDefinition;
  table: FakeTable;
  mode: 'full_refresh' | 'incremental';
  lookbackSeconds: number;
  startTime?: number;
}

export function keyOfRecord(def: StreamDefinition, record: Row): string {
  return def.primaryKey.map((path) => String(record[path[0]!])).join('/');
}

/** A record's cursor, back in unix seconds from its RFC 3339 form. */
export function cursorOfRecord(def: StreamDefinition, record: Row): number {
  return Date.parse(String(record[def.cursorField])) / 1000;
}

/** A state's mark (state v2: the slices above it are ranges read too, but only the mark bounds a read from below). */
export function cursorOfState(def: StreamDefinition, state: StreamState | undefined): number | undefined {
  return readState(def, state)?.mark;
}

/** What a correct read must have delivered: each row in the table with its cursor in [lower, upper), by key. */
export function mustDeliver(table: FakeTable, def: StreamDefinition, lower: number, upper: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const key of table.keys()) {
    const cursor = Number(table.get(key)![def.cursorField]);
    if (cursor >= lower && cursor < upper) out.set(key, cursor);
  }
  return out;
}

/** The records a run's destination keeps: all of a completed run's, a killed run's up to its last state. */
export function committed(run: ReadRun): Row[] {
  if (run.outcome === 'completed') return run.records;
  const last = run.checkpoints[run.checkpoints.length - 1];
  return last ? run.records.slice(0, last.afterRecords) : [];
}

/** Where a run's read starts: its state less the lookback, never before start_date. */
function lowerOf(spec: ChainSpec, state: StreamState | undefined): number {
  const cursor = spec.mode === 'incremental' ? cursorOfState(spec.def, state) : undefined;
  if (cursor === undefined) return spec.startTime ?? Number.NEGATIVE_INFINITY;
  const from = cursor - spec.lookbackSeconds;
  return spec.startTime !== undefined ? Math.max(from, spec.startTime) : from;
}

/** Everything the chain got wrong, one line each; empty when it matches the reference. */
export function checkChain(spec: ChainSpec, runs: ChainRun[]): string[] {
  const { def, table } = spec;
  const problems: string[] = [];
  const last = runs[runs.length - 1];
  if (!last || last.run.outcome !== 'completed') {
    problems.push(`the chain never completed (last run ${last?.run.outcome}: ${last?.run.error?.message ?? ''})`);
    return problems;
  }
  // A transient refusal ("run the sync again") is honest; anything else is a failure of the read.
  for (const r of runs) {
    if (r.run.outcome === 'failed' && r.run.error?.failureType !== 'transient_error') problems.push(`a run failed without being killed: ${r.run.error?.failureType} ${r.run.error?.message}`);
  }
  // The state the chain ends with, and the claim it makes.
  const finalCursor = spec.mode === 'incremental' ? cursorOfState(def, last.run.checkpoints[last.run.checkpoints.length - 1]?.state) : last.run.readEnd + 1;
  if (finalCursor === undefined) {
    problems.push('the completed run wrote no state');
    return problems;
  }
  if (finalCursor !== last.run.readEnd + 1) problems.push(`the final state is ${finalCursor}, not the read's end + 1 (${last.run.readEnd + 1})`);
  // Rows below the starting state were delivered before; rows before start_date are never wanted.
  const startState = spec.mode === 'incremental' ? cursorOfState(def, runs[0]!.state) : undefined;
  const chainLower = Math.max(startState ?? Number.NEGATIVE_INFINITY, spec.startTime ?? Number.NEGATIVE_INFINITY);

  // None lost.
  const kept = new Map<string, Set<number>>();
  for (const r of runs) {
    for (const record of committed(r.run)) {
      const key = keyOfRecord(def, record);
      let cursors = kept.get(key);
      if (!cursors) kept.set(key, (cursors = new Set()));
      cursors.add(cursorOfRecord(def, record));
    }
  }
  const lost: string[] = [];
  for (const [key, cursor] of mustDeliver(table, def, chainLower, finalCursor)) if (!kept.get(key)?.has(cursor)) lost.push(`${key}@${cursor}`);
  if (lost.length > 0) problems.push(`${lost.length} row(s) lost: ${lost.slice(0, 10).join(', ')}${lost.length > 10 ? ', ...' : ''}`);

  // None outside, and no duplicate unless the row changed.
  const versions = new Map<string, Array<{ cursor: number; from: number; to?: number }>>();
  for (const v of table.versions) {
    let list = versions.get(v.key);
    if (!list) versions.set(v.key, (list = []));
    list.push({ cursor: Number(v.row[def.cursorField]), from: v.from, to: v.to });
  }
  runs.forEach((r, index) => {
    const lower = lowerOf(spec, r.state);
    const upper = r.run.readEnd;
    const seen = new Map<string, number>();
    for (const record of r.run.records) {
      const key = keyOfRecord(def, record);
      const cursor = cursorOfRecord(def, record);
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (cursor < lower || cursor > upper) problems.push(`run ${index + 1} wrote ${key}@${cursor}, outside its range [${lower}, ${upper}]`);
      const real = versions.get(key)?.some((v) => v.cursor === cursor && v.from <= r.changeAtEnd && (v.to === undefined || v.to > r.changeAtStart));
      if (!real) problems.push(`run ${index + 1} wrote ${key}@${cursor}, which the table did not hold while it read`);
    }
    const changed = (key: string) => versions.get(key)?.some((v) => (v.from > r.changeAtStart && v.from <= r.changeAtEnd) || (v.to !== undefined && v.to > r.changeAtStart && v.to <= r.changeAtEnd));
    const twice = [...seen].filter(([key, n]) => n > 1 && !changed(key)).map(([key, n]) => `${key}×${n}`);
    if (twice.length > 0) problems.push(`run ${index + 1} wrote ${twice.length} unchanged row(s) more than once: ${twice.slice(0, 10).join(', ')}`);
  });
  return problems;
}

/** Records written over the chain per row the table holds in its range: 1.0 when nothing was read twice. */
export function deliveryRatio(spec: ChainSpec, runs: ChainRun[]): number {
  const written = runs.reduce((n, r) => n + r.run.records.length, 0);
  const keys = new Set(runs.flatMap((r) => r.run.records.map((record) => keyOfRecord(spec.def, record))));
  return keys.size === 0 ? 1 : written / keys.size;
}
