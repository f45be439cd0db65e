import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParentFeed } from '../../connector/engine/parentFeed.js';
import type { Page } from '../../connector/engine/keyset.js';

// One walk of the parents, shared by the streams that read by their ids.

function fakeWalk(pages: number, perPage = 500, fail?: Error) {
  const calls = { walks: 0, produced: 0, aborted: false };
  const walk = async function* (signal: AbortSignal): AsyncGenerator<Page> {
    calls.walks += 1;
    for (let p = 0; p < pages; p++) {
      if (signal.aborted) {
        calls.aborted = true;
        throw signal.reason;
      }
      await new Promise((resolve) => setImmediate(resolve));
      calls.produced += 1;
      yield { rows: Array.from({ length: perPage }, (_, i) => ({ id: `${p}_${i}`, parentEntryId: i % 10 === 0 ? `${p}_${i + 1}` : undefined })), checkpoint: 0 };
    }
    if (fail) throw fail;
  };
  return { walk, calls };
}

async function collect(ids: AsyncGenerator<string[]>, stopAfter = Number.POSITIVE_INFINITY): Promise<string[]> {
  const out: string[] = [];
  let pages = 0;
  for await (const page of ids) {
    out.push(...page);
    if (++pages >= stopAfter) break;
  }
  return out;
}

test('every reader gets every parent id in walk order, from one walk', async () => {
  const { walk, calls } = fakeWalk(20);
  const feed = new ParentFeed(walk, 'id', 'parentEntryId', 2);
  const [a, b] = await Promise.all([collect(feed.ticket().subscribe()), collect(feed.ticket().subscribe(true))]);
  assert.equal(calls.walks, 1);
  assert.equal(a.length, 20 * 500);
  assert.deepEqual(a.slice(0, 2), ['0_0', '0_1']);
  assert.equal(b.length, 20 * 450, 'the reader that skips children gets the others');
  assert.ok(!b.includes('0_0'), 'a child is left out');
});

test('a reader that withdraws, or leaves early, holds nobody up, even past the lead the walk may take', async () => {
  // 300 pages of 500 ids is more than the walk may hold ahead of its slowest reader.
  const { walk } = fakeWalk(300);
  const feed = new ParentFeed(walk, 'id', undefined, 3);
  feed.ticket().withdraw();
  const [early, whole] = await Promise.all([collect(feed.ticket().subscribe(), 1), collect(feed.ticket().subscribe())]);
  assert.equal(early.length, 500);
  assert.equal(whole.length, 300 * 500);
});

test('the walk is abandoned when its last reader leaves, and its failure reaches every reader', async () => {
  const abandoned = fakeWalk(1000);
  const feed = new ParentFeed(abandoned.walk, 'id', undefined, 1);
  await collect(feed.ticket().subscribe(), 2);
  for (let i = 0; i < 50 && !abandoned.calls.aborted; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(abandoned.calls.aborted, 'the walk stopped');
  assert.ok(abandoned.calls.produced < 1000);

  const failing = fakeWalk(3, 500, new Error('Kaltura is down'));
  const shared = new ParentFeed(failing.walk, 'id', undefined, 2);
  const outcomes = await Promise.allSettled([collect(shared.ticket().subscribe()), collect(shared.ticket().subscribe())]);
  for (const o of outcomes) assert.equal(o.status === 'rejected' && (o.reason as Error).message, 'Kaltura is down');
});

test('a feed refuses more readers than it was made for, and a ticket used twice', async () => {
  const { walk } = fakeWalk(1);
  const feed = new ParentFeed(walk, 'id', undefined, 1);
  const ticket = feed.ticket();
  await collect(ticket.subscribe());
  assert.throws(() => ticket.subscribe(), /used twice/);
  await assert.rejects(collect(feed.ticket().subscribe()), /more readers/);
});
