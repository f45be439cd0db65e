import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KalturaApiError } from '../../connector/kaltura/errors.js';
import { FakeClock, FakeTable, shapes, type Row } from './fakeTable.js';

// The fake answers as kaltura-api.md section 5 says: if it did not, the engine tests would prove
// nothing about Kaltura.
const T0 = 1_700_000_000;

function entries(count: number, at: (i: number) => number = () => T0): Row[] {
  return Array.from({ length: count }, (_, i) => ({ id: `0_${i}`, status: 2, moderationStatus: 2, displayInSearch: 1, createdAt: at(i), updatedAt: at(i) }));
}

test('the cap: page 21 of 500 fails with QUERY_EXCEEDED_MAX_MATCHES_ALLOWED, a straddling page is cut at row 10,000, totalCount is the true total', () => {
  const table = new FakeTable(shapes.media, new FakeClock(T0 + 10), 1, entries(10_400, (i) => T0 + (i % 7)));
  assert.throws(
    () => table.list({ orderBy: '+updatedAt' }, { pageSize: 500, pageIndex: 21 }),
    (err: unknown) => err instanceof KalturaApiError && err.code === 'QUERY_EXCEEDED_MAX_MATCHES_ALLOWED',
  );
  const straddling = table.list({ orderBy: '+updatedAt' }, { pageSize: 300, pageIndex: 34 });
  assert.equal(straddling.objects.length, 100, 'offset 9,900: only rows up to 10,000');
  assert.equal(straddling.totalCount, 10_400);
  const uncapped = new FakeTable(shapes.categoryEntries, new FakeClock(T0), 1, Array.from({ length: 10_100 }, (_, i) => ({ categoryId: 1, entryId: `0_${i}`, createdAt: T0 })));
  assert.equal(uncapped.list({}, { pageSize: 500, pageIndex: 21 }).objects.length, 100, 'a database list has no cap');
});

test('pageSize is clamped to 500; idNotIn is cut to 500 values', () => {
  const table = new FakeTable(shapes.media, new FakeClock(T0 + 10), 1, entries(700));
  assert.equal(table.list({}, { pageSize: 2000, pageIndex: 1 }).objects.length, 500);
  const notIn = Array.from({ length: 600 }, (_, i) => `0_${i}`).join(',');
  assert.equal(table.list({ idNotIn: notIn }, { pageSize: 500 }).totalCount, 200, 'ids after the 500th are not excluded');
});

test('entries are hidden unless their statuses are asked for', () => {
  const table = new FakeTable(shapes.media, new FakeClock(T0 + 10), 1, [...entries(2), { id: '0_deleted', status: 3, moderationStatus: 2, displayInSearch: 1, createdAt: T0, updatedAt: T0 }]);
  assert.equal(table.list({}, {}).totalCount, 2);
  assert.equal(table.list({ statusIn: '2,3' }, {}).totalCount, 3);
});

test('ties come back in a new order on each request unless the table keeps them stable', () => {
  const orders = (table: FakeTable) => new Set(Array.from({ length: 5 }, () => table.list({ orderBy: '+updatedAt' }, { pageSize: 50 }).objects.map((r) => r.id).join()));
  assert.ok(orders(new FakeTable(shapes.media, new FakeClock(T0 + 10), 1, entries(50))).size > 1);
  assert.equal(orders(new FakeTable(shapes.media, new FakeClock(T0 + 10), 1, entries(50), 'stable')).size, 1);
});

test('time bounds, relative times, and a change that moves updatedAt to now', () => {
  const clock = new FakeClock(T0 + 100);
  const table = new FakeTable(shapes.media, clock, 1, entries(10, (i) => T0 + i));
  assert.equal(table.list({ updatedAtGreaterThanOrEqual: T0 + 3, updatedAtLessThanOrEqual: T0 + 5 }, {}).totalCount, 3);
  // 0 means "now": nothing was updated from now on.
  assert.equal(table.list({ updatedAtGreaterThanOrEqual: 0 }, {}).totalCount, 0);
  table.touch('0_1');
  assert.equal(table.get('0_1')!.updatedAt, T0 + 100);
  assert.deepEqual(
    table.versions.filter((v) => v.key === '0_1').map((v) => [v.row.updatedAt, v.to !== undefined]),
    [
      [T0 + 1, true],
      [T0 + 100, false],
    ],
  );
});

test('a filter the fake does not model is refused, not ignored', () => {
  const table = new FakeTable(shapes.users, new FakeClock(T0), 1, []);
  assert.throws(() => table.list({ idNotIn: 'a' }, {}), /idNotIn is not modelled/);
});
