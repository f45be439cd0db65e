import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, recordsOf } from '../helpers/cli.js';
import { assertValidMessages } from '../helpers/airbyteSchema.js';
import { startFixture, type Fixture } from '../helpers/setup.js';

// Reads that cross the 10,000-row cap (users), seconds holding more rows than a page (a bulk
// category assignment, a user sync job, bulk-updated entries' assets) and session refreshes.
let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 2500, categories: 40, seed: 5, users: 10_600 });
});
after(() => fx.close());

async function read(streams: string[], token: string, extra: Record<string, unknown>) {
  const args = ['read', '--config', fx.config(token, extra), '--catalog', fx.catalog(streams.map((s) => [s, 'full_refresh']))];
  const run = await runConnector(args);
  assert.equal(run.code, 0, run.stderr + run.stdout.slice(-2000));
  assertValidMessages(run.messages);
  return run;
}

function assertComplete(stream: string, records: Array<Record<string, any>>, key: (r: Record<string, any>) => string | number): void {
  const truth = fx.emulator.control.truth(stream as never);
  const got = new Set(records.map(key));
  assert.equal(got.size, truth.length, `${stream}: every object once`);
  for (const t of truth) assert.ok(got.has(t.id), `${stream}: ${t.id} was read`);
}

test('users past the 10,000-row cap, with a crowded second paged in id order', async () => {
  const truth = fx.emulator.control.truth('users');
  assert.ok(truth.length > 10_000, 'more users than the cap');
  const counts = new Map<number, number>();
  for (const t of truth) counts.set(t.updatedAt, (counts.get(t.updatedAt) ?? 0) + 1);
  assert.ok(Math.max(...counts.values()) > 500, 'a second holds more than a page');
  const run = await read(['users'], 'readOnly', {});
  assertComplete('users', recordsOf(run.messages, 'users'), (r) => r.id);
});

test('crowded seconds of category links and assets, small pages, 5-second sessions', async () => {
  const c = fx.emulator.control;
  const cat = c.truth('categories')[3]!.id as number;
  const bulk = c.bulkAddCategoryEntries(cat, 400);
  assert.equal(bulk.length, 400, '400 links made in one second');
  c.resetRequestCounts();
  // Sessions of 2 s and slower answers: the read outlives several sessions.
  c.setTokenSessionDuration('short', 2);
  c.setFaults({ latencyMs: 12 });
  try {
    const run = await read(['category_entries', 'flavor_assets', 'metadata'], 'short', { page_size: 50 });
    assertComplete('category_entries', recordsOf(run.messages, 'category_entries'), (r) => `${r.categoryId}:${r.entryId}`);
    assertComplete('flavor_assets', recordsOf(run.messages, 'flavor_assets'), (r) => r.id);
    assertComplete('metadata', recordsOf(run.messages, 'metadata'), (r) => r.id);
    const logins = c.requestCounts()['apptoken.startsession'] ?? 0;
    assert.ok(logins >= 2, `the read logged in again (${logins} logins)`);
  } finally {
    c.clearFaults();
  }
});
