import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readChain } from './chain.js';
import { checkChain, deliveryRatio, type ChainSpec } from './reference.js';
import { buildPartner, T0, type Scenario, type StreamKind } from './scenario.js';
import { makeState } from '../../connector/engine/state.js';
import { RangeSet } from '../../connector/engine/ranges.js';
import type { TieOrder } from './fakeTable.js';

// The engine against the naive reference over generated tables: ties, a second crowded past what
// `idNotIn` can exclude, rows changing between requests, kills at random writes and resumes.
// The seed is fixed so that every run checks the same cases; ENGINE_SEED (and ENGINE_PATH, both
// printed with a failure) replays another one. The engine's cap (10,000) and IN-list limit (500)
// are constants, so "crowded" here means more than 500 rows in a second; past 10,000 is tested
// at real scale in examples.test.ts.
const seed = Number(process.env.ENGINE_SEED ?? 20261205);
const path = process.env.ENGINE_PATH;

function settings(numRuns: number): fc.Parameters<[Scenario]> {
  return { numRuns, seed, ...(path ? { path } : {}), endOnFailure: false };
}

const group = fc.record({ second: fc.integer({ min: 0, max: 20 }), count: fc.integer({ min: 1, max: 40 }), spread: fc.integer({ min: 0, max: 3 }) });
// A crowd sits late in the table, so that a starting state rarely skips it.
const crowd = fc.record({ second: fc.integer({ min: 12, max: 20 }), count: fc.integer({ min: 490, max: 900 }), spread: fc.integer({ min: 0, max: 3 }) });
const change = (lastRequest: number) => fc.record({ at: fc.integer({ min: 1, max: lastRequest }), on: fc.constantFrom('request' as const, 'offsetPage' as const), op: fc.constantFrom('update' as const, 'delete' as const, 'insert' as const, 'tick' as const), pick: fc.nat({ max: 10_000 }) });

/**
 * `crowded`: the table has a second of more rows than idNotIn can exclude; `lastRequest`: changes
 * fall on requests 1 to it (a crowded second is reached only after many).
 */
function scenarios(options: { crowded: boolean; pageSizes: number[]; ties?: TieOrder; lastRequest?: number }): fc.Arbitrary<Scenario> {
  return fc
    .record({
      groups: fc.array(group, { minLength: 0, maxLength: 6 }),
      crowd: options.crowded ? crowd : fc.constant(undefined),
      changes: fc.array(change(options.lastRequest ?? 80), { maxLength: options.crowded ? 16 : 8 }),
      kills: fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 3 }),
      pageSize: fc.constantFrom(...options.pageSizes),
      readers: fc.integer({ min: 1, max: 4 }),
      lookback: fc.integer({ min: 0, max: 3 }),
      stateAt: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined, freq: 3 }),
      startAt: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined, freq: 4 }),
      fullRefresh: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
    })
    .map(({ crowd: c, ...s }) => ({
      ...s,
      groups: c ? [...s.groups, c] : s.groups,
      // A state past the crowd would skip it.
      stateAt: c && s.stateAt !== undefined ? Math.min(s.stateAt, c.second) : s.stateAt,
      startAt: c && s.startAt !== undefined ? Math.min(s.startAt, c.second) : s.startAt,
      ties: options.ties ?? 'shuffled',
    }));
}

async function holds(kind: StreamKind, scenario: Scenario): Promise<void> {
  const { kaltura, table, def } = buildPartner(kind, scenario);
  const mode = scenario.fullRefresh ? 'full_refresh' : 'incremental';
  const startTime = scenario.startAt === undefined ? undefined : T0 + scenario.startAt;
  const spec: ChainSpec = { def, table, mode, lookbackSeconds: scenario.lookback, startTime };
  const state = scenario.stateAt === undefined || mode === 'full_refresh' ? undefined : makeState(def, { mark: T0 + scenario.stateAt, slices: new RangeSet() });
  const settings = { pageSize: scenario.pageSize, readers: scenario.readers, lookbackSeconds: scenario.lookback, startTime };
  const runs = await readChain({ kaltura, table, def, mode, state, kills: scenario.kills, settings });
  const problems = checkChain(spec, runs);
  assert.deepEqual(problems, [], `ratio ${deliveryRatio(spec, runs).toFixed(2)}; runs: ${runs.map((r) => `${r.run.outcome} ${r.run.records.length} records, ${r.run.checkpoints.length} states`).join(' | ')}`);
}

test('media (idNotIn, capped list): no row lost, none outside the range, none twice, through changes, kills and resumes', async () => {
  await fc.assert(
    fc.asyncProperty(scenarios({ crowded: false, pageSizes: [3, 7, 50, 500] }), (s) => holds('media', s)),
    settings(30),
  );
});

// A second of more than 500 rows is read by offset pages ordered by createdAt, whose ties come
// back in the same order every time or in a new order on each request.
test('media with a second crowded past idNotIn, ties in a stable order: the same', async () => {
  await fc.assert(
    fc.asyncProperty(scenarios({ crowded: true, pageSizes: [7, 50, 500], ties: 'stable', lastRequest: 200 }), (s) => holds('media', s)),
    settings(12),
  );
});

test('media with a second crowded past idNotIn, ties in a new order on each request: the same', async () => {
  await fc.assert(
    fc.asyncProperty(scenarios({ crowded: true, pageSizes: [7, 50, 500], ties: 'shuffled', lastRequest: 200 }), (s) => holds('media', s)),
    settings(12),
  );
});

test('categories (idNotIn, integer ids): the same', async () => {
  await fc.assert(
    fc.asyncProperty(scenarios({ crowded: false, pageSizes: [3, 20, 500] }), (s) => holds('categories', s)),
    settings(20),
  );
});

test('users (no idNotIn: rows of the last second dropped by key, a crowded second cut by createdAt): the same', async () => {
  await fc.assert(
    fc.asyncProperty(scenarios({ crowded: true, pageSizes: [7, 50, 500], lastRequest: 200 }), (s) => holds('users', s)),
    settings(15),
  );
});

test('category links (read by batches of categories, database list ordered by createdAt, no cap): the same', async () => {
  await fc.assert(
    fc.asyncProperty(scenarios({ crowded: true, pageSizes: [7, 50, 500], lastRequest: 200 }), (s) => holds('categoryEntries', s)),
    settings(12),
  );
});
