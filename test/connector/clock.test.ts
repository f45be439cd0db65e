import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, recordsOf, lastStates, ofType } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { syncStreamWith } from '../../connector/engine/sync.js';
import type { ListAnswer, ListPort } from '../../connector/engine/source.js';
import { Logger } from '../../connector/util/logger.js';
import { users } from '../../connector/streams/users.js';
import { stateListener } from '../helpers/stateListener.js';

// The state never claims a time later than the Kaltura time the run has evidence of: this
// machine's clock may be hours ahead of Kaltura's, and a state at local time skips every update
// made in between.

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 1_000, categories: 10, seed: 7 });
});
after(() => fx.close());

const seconds = (iso: string) => Date.parse(iso) / 1000;

test('with system.getTime failing and this machine 2 h ahead of Kaltura, the next incremental read still gets every update', async () => {
  const control = fx.emulator.control;
  // Kaltura's clock two hours behind this machine's.
  control.advanceClock(-7200);
  control.setFaults({ internalErrorRate: 1, onlyServices: ['system.gettime'] });
  const env = { ...process.env, SOURCE_KALTURA_MAX_RETRY_SECONDS: '1' };
  try {
    const catalog = fx.catalog([['media', 'incremental']]);
    const config = fx.config('admin', { lookback_window_seconds: 0 });
    const first = await runConnector(['read', '--config', config, '--catalog', catalog], { env });
    assert.equal(first.code, 0, first.stderr);
    const state = lastStates(first.messages);
    const mark = seconds(state[0]!.stream.stream_state.updatedAt);
    assert.ok(mark <= control.now(), `the state (${new Date(mark * 1000).toISOString()}) is not past Kaltura's clock (${new Date(control.now() * 1000).toISOString()})`);

    control.advanceClock(5);
    const ids = recordsOf(first.messages, 'media')
      .slice(0, 5)
      .map((r) => String(r.id));
    control.updateEntries(ids);
    control.advanceClock(2);
    const second = await runConnector(['read', '--config', config, '--catalog', catalog, '--state', fx.write('clock-state.json', state)], { env });
    assert.equal(second.code, 0, second.stderr);
    const got = new Set(recordsOf(second.messages, 'media').map((r) => String(r.id)));
    assert.deepEqual(
      ids.filter((id) => !got.has(id)),
      [],
      'the five entries updated after the first read are in the next one',
    );
    const logs = ofType(second.messages, 'LOG').map((m) => String(m.log.message));
    assert.ok(logs.some((l) => /Date header/.test(l)), `the run says which clock ended the read: ${logs.join(' | ')}`);
  } finally {
    control.clearFaults();
  }
});

/** An in-memory user list: bounds, order by the cursor, pages. */
function table(rows: Array<{ id: string; updatedAt: number; createdAt: number }>): ListPort {
  return {
    async list(filter, pager): Promise<ListAnswer> {
      const from = Number(filter.updatedAtGreaterThanOrEqual ?? Number.NEGATIVE_INFINITY);
      const to = Number(filter.updatedAtLessThanOrEqual ?? Number.POSITIVE_INFINITY);
      const matching = rows.filter((r) => r.updatedAt >= from && r.updatedAt <= to).sort((a, b) => a.updatedAt - b.updatedAt || a.id.localeCompare(b.id));
      const start = (pager.pageIndex - 1) * pager.pageSize;
      return { objects: matching.slice(start, start + pager.pageSize), totalCount: matching.length };
    },
  };
}

test('when no answer gives Kaltura\'s time, the state does not move past the newest change read', async () => {
  const base = 1_700_000_000;
  const rows = Array.from({ length: 30 }, (_, i) => ({ id: `u${i}`, updatedAt: base + i * 60, createdAt: base }));
  const { states, listener } = stateListener();
  const settings = { pageSize: 10, lookbackSeconds: 0, readers: 2 };
  const encode = (row: Record<string, unknown>) => ({ json: Buffer.from(JSON.stringify(row)) });
  // This machine's clock, a day past the newest row: the read's end, but no evidence of Kaltura's time.
  const localEnd = base + 86_400;
  const result = await syncStreamWith(table(rows), listener, new Logger(() => {}), settings, { def: users, mode: 'incremental' }, { to: localEnd, known: false }, encode);
  assert.deepEqual(result, { records: 30, ok: true });
  const newest = base + 29 * 60;
  assert.equal(seconds(String(states.at(-1)!.updatedAt)), newest, 'the last state stops at the newest updatedAt read');
  // With Kaltura's clock known, the same read claims up to its end.
  states.length = 0;
  await syncStreamWith(table(rows), listener, new Logger(() => {}), settings, { def: users, mode: 'incremental' }, { to: localEnd, known: true }, encode);
  assert.equal(seconds(String(states.at(-1)!.updatedAt)), localEnd + 1);
});
