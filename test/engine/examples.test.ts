import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readChain } from './chain.js';
import { checkChain, cursorOfState, deliveryRatio, type ChainSpec } from './reference.js';
import { buildPartner, T0, type Scenario, type StreamKind } from './scenario.js';
import type { ChainRun } from './reference.js';

// Cases at the engine's real scale (its 10,000-row cap and 500-value IN lists are constants, so a
// crowd past them cannot be scaled down), and the cases the property tests shrank to.

function scenario(partial: Partial<Scenario> & Pick<Scenario, 'groups'>): Scenario {
  return { changes: [], kills: [], pageSize: 500, readers: 4, lookback: 0, ...partial };
}

async function chain(kind: StreamKind, s: Scenario, seed = 1): Promise<{ spec: ChainSpec; runs: ChainRun[]; problems: string[] }> {
  const { kaltura, table, def } = buildPartner(kind, s, seed);
  const spec: ChainSpec = { def, table, mode: 'incremental', lookbackSeconds: s.lookback };
  const runs = await readChain({ kaltura, table, def, mode: 'incremental', kills: s.kills, settings: { pageSize: s.pageSize, readers: s.readers, lookbackSeconds: s.lookback } });
  return { spec, runs, problems: checkChain(spec, runs) };
}

const outcomes = (runs: ChainRun[]) => runs.map((r) => `${r.run.outcome}${r.run.error ? ` (${r.run.error.message})` : ''}`).join(' | ');

// A bulk upload gives thousands of entries the same createdAt and updatedAt. Past 500 of them the
// engine pages that second by offset ordered by createdAt; the API defines no order for the ties
// (kaltura-api.md section 5), and here each request draws a new one. Pages then disagree, and a
// pass returns fewer distinct rows than were counted: the engine pages the second again, adding
// up what each pass returned, until every counted row has come (it used to start each pass over
// and give up after five, so every sync stopped at the same second).
test('a bulk second of 1,200 entries sharing updatedAt and createdAt, ties in a new order on each request: every entry arrives', async () => {
  const { runs, problems } = await chain('media', scenario({ groups: [{ second: 0, count: 1200, spread: 0 }] }));
  assert.deepEqual(problems, [], outcomes(runs));
});

test('shrunk by the property test: 509 entries in one second, page size 7, ties reshuffled, killed after 2 writes: the resumed read completes', async () => {
  const { runs, problems } = await chain('media', scenario({ groups: [{ second: 0, count: 509, spread: 0 }], kills: [2], pageSize: 7, readers: 2 }));
  assert.deepEqual(problems, [], outcomes(runs));
});

test('10,400 entries sharing updatedAt and createdAt, ties in a new order on each request: every entry, once', async () => {
  const { runs, problems } = await chain('media', scenario({ groups: [{ second: 0, count: 10_400, spread: 0 }] }));
  assert.deepEqual(problems, [], outcomes(runs));
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.run.records.length, 10_400);
  assert.ok(runs[0]!.run.log.some((line) => /came back in a different order on each request/.test(line)), 'the second was paged more than once');
});

test('a crowded second whose pages never return one of its rows: a transient refusal after a bounded number of requests, and no state past the second', async () => {
  const s = scenario({ groups: [{ second: 0, count: 1200, spread: 0 }], ties: 'stable' });
  const { kaltura, table, def } = buildPartner('media', s);
  // The count includes the row, no page of the second holds it: no order of the pages can show it.
  let hidden: string | undefined;
  const list = kaltura.list.bind(kaltura);
  kaltura.list = (service, filter, pager) => {
    const answer = list(service, filter, pager);
    if (filter.orderBy !== '+createdAt') return answer;
    hidden ??= table.keyOf(answer.objects[0]!);
    return { ...answer, objects: answer.objects.filter((row) => table.keyOf(row) !== hidden) };
  };
  const before = kaltura.requests;
  const spec: ChainSpec = { def, table, mode: 'incremental', lookbackSeconds: 0 };
  const runs = await readChain({ kaltura, table, def, mode: 'incremental', settings: { pageSize: 500, readers: 1 }, retries: 0 });
  const { run } = runs[0]!;
  assert.equal(run.outcome, 'failed');
  assert.equal(run.error?.failureType, 'transient_error');
  assert.match(run.error!.message, /the 700 rows at updatedAt 1700000000 came back in a different order on every request; after 25 passes 1 of them had still not been returned/);
  assert.ok(kaltura.requests - before <= 60, `${kaltura.requests - before} requests`);
  for (const c of run.checkpoints) assert.ok(cursorOfState(spec.def, c.state)! <= T0);
});

test('10,500 entries in one second, createdAt spread over a minute: read by windows of createdAt, every entry once', async () => {
  const { runs, problems } = await chain('media', scenario({ groups: [{ second: 0, count: 10_500, spread: 59 }], ties: 'stable' }));
  assert.deepEqual(problems, [], outcomes(runs));
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.run.records.length, 10_500);
});

// user.list has no idNotIn and the search cap: a crowded second used to be paged by +id, which
// stops at row 10,000; it is now cut by createdAt like the entries'.
test('users: 10,600 users updated in one second, created over a minute: read by windows of createdAt, every user once', async () => {
  const { runs, problems } = await chain('users', scenario({ groups: [{ second: 0, count: 10_600, spread: 59 }] }));
  assert.deepEqual(problems, [], outcomes(runs));
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.run.records.length, 10_600);
  assert.ok(runs[0]!.run.log.some((line) => /10600 rows share updatedAt 1700000000; reading that second by createdAt/.test(line)), runs[0]!.run.log.join('\n'));
});

// (Up to 10,500 such rows still succeed: 500 of them are excluded by idNotIn, and the rest is under the cap.)
test('11,000 entries sharing updatedAt and createdAt: a refusal that names the limit, never a success that read less', async () => {
  const { spec, runs } = await chain('media', scenario({ groups: [{ second: 0, count: 11_000, spread: 0 }], ties: 'stable' }));
  for (const { run } of runs) {
    assert.equal(run.outcome, 'failed');
    assert.equal(run.error?.failureType, 'system_error');
    assert.match(run.error!.message, /rows share both updatedAt 1700000000 and createdAt 1700000000; Kaltura cannot list more than 10000 such rows/);
    // No state claims the second was read.
    for (const c of run.checkpoints) assert.ok(cursorOfState(spec.def, c.state)! <= T0);
  }
});

test('a row that leaves a crowded second while it is paged by offset: the pass is recounted and no row is lost', async () => {
  const s = scenario({ groups: [{ second: 0, count: 800, spread: 0 }], pageSize: 50, readers: 1, ties: 'stable' });
  const { kaltura, table, def } = buildPartner('media', s);
  let moved: string | undefined;
  kaltura.beforeList = (_request, call) => {
    // The second page of the crowded second's offset pass: the row at the head of its first page leaves.
    if (moved || call.pager.pageIndex !== 2 || call.filter.orderBy !== '+createdAt') return;
    const first = table.list(call.filter, { pageSize: 50, pageIndex: 1 }).objects[0]!;
    moved = String(first.id);
    table.touch(moved);
  };
  const spec: ChainSpec = { def, table, mode: 'incremental', lookbackSeconds: 0 };
  const runs = await readChain({ kaltura, table, def, mode: 'incremental', settings: { pageSize: 50, readers: 1 } });
  assert.ok(moved, 'the crowded second was read by offset pages');
  assert.deepEqual(checkChain(spec, runs), [], outcomes(runs));
  assert.ok(runs[0]!.run.log.some((line) => /changed while they were read/.test(line)), 'the pass was recounted');
});

const spread = Array.from({ length: 1200 }, (_, second) => ({ second, count: 10, spread: 2 }));
const churn = Array.from({ length: 30 }, (_, i) => ({ at: 3 + i * 2, op: (['update', 'delete', 'insert', 'tick'] as const)[i % 4]!, pick: i * 977 }));

// A window is cut only when it holds 10,000 rows and 40 pages: page size 200 lets 12,000 rows be cut.
test('12,000 entries read in windows by 4 readers while rows change: none lost, none twice', async () => {
  const { runs, problems } = await chain('media', scenario({ groups: spread, changes: churn, pageSize: 200 }));
  assert.deepEqual(problems, [], outcomes(runs));
  const windows = /read in (\d+) windows? of updatedAt/.exec(runs[0]!.run.log.join('\n'));
  assert.ok(windows && Number(windows[1]) > 1, `the range was cut into windows (${windows?.[0]})`);
});

test('the same, killed twice and resumed: none lost', async (t) => {
  const { spec, runs, problems } = await chain('media', scenario({ groups: spread, changes: churn, kills: [6, 20], pageSize: 200 }));
  assert.deepEqual(problems, [], outcomes(runs));
  t.diagnostic(`records written over ${runs.length} runs per entry: ${deliveryRatio(spec, runs).toFixed(2)}`);
});

test('category links: 3,000 links, 1,200 of them created in one second, read by batches of categories through changes and a kill', async () => {
  const groups = [...Array.from({ length: 60 }, (_, second) => ({ second, count: 30, spread: 0 })), { second: 30, count: 1200, spread: 0 }];
  const changes = Array.from({ length: 20 }, (_, i) => ({ at: 2 + i * 3, op: (['update', 'delete', 'insert', 'tick'] as const)[i % 4]!, pick: i * 131 }));
  const { runs, problems } = await chain('categoryEntries', scenario({ groups, changes, kills: [5], pageSize: 100 }));
  assert.deepEqual(problems, [], outcomes(runs));
});
