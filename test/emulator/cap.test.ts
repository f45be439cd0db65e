/** The 10,000 cap of search-backed lists, on an account large enough to reach it. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type Emulator } from '../../fixtures/emulator/index.js';
import { api, everything, login, pager } from './helpers.js';

let emu: Emulator;
let ks: string;
before(async () => {
  emu = await startEmulator({ entries: 25000, categories: 11000, seed: 12 });
  ks = await login(emu, 'admin');
});
after(async () => {
  await emu.close();
});

const CAP_ERROR = { code: 'QUERY_EXCEEDED_MAX_MATCHES_ALLOWED', message: 'Unable to generate list. max matches value was reached', objectType: 'KalturaAPIException', args: [] };

for (const service of ['media', 'baseentry']) {
  test(`${service}.list: page 21 of 500 fails QUERY_EXCEEDED_MAX_MATCHES_ALLOWED; page 20 works; totalCount exceeds 10,000`, async () => {
    const p20 = await api(emu, service, 'list', { ks, pager: pager(500, 20) });
    assert.equal(p20.objects.length, 500);
    assert.ok(p20.totalCount > 10000);
    const p21 = await api(emu, service, 'list', { ks, pager: pager(500, 21) });
    assert.deepEqual(p21, CAP_ERROR);
  });
}

test('a page straddling row 10,000 is cut there', async () => {
  const r = await api(emu, 'media', 'list', { ks, pager: pager(300, 34) }); // rows 9,900..10,199
  assert.equal(r.objects.length, 100);
  const err = await api(emu, 'media', 'list', { ks, pager: pager(300, 35) }); // offset 10,200
  assert.deepEqual(err, CAP_ERROR);
});

test('category.list has the same cap', async () => {
  assert.ok(emu.control.truth('categories').length > 10000);
  const p20 = await api(emu, 'category', 'list', { ks, pager: pager(500, 20) });
  assert.equal(p20.objects.length, 500);
  assert.ok(p20.totalCount > 10000);
  assert.deepEqual(await api(emu, 'category', 'list', { ks, pager: pager(500, 21) }), CAP_ERROR);
});

test('more than 10,000 entries share one updatedAt second (a bulk update)', async () => {
  const counts = new Map<number, number>();
  for (const t of emu.control.truth('entries')) counts.set(t.updatedAt, (counts.get(t.updatedAt) ?? 0) + 1);
  const big = [...counts.entries()].filter(([, n]) => n > 10000);
  assert.equal(big.length, 1);
  const [second] = big[0] as [number, number];
  const r = await api(emu, 'media', 'list', { ks, filter: everything('KalturaMediaEntryFilter', { updatedAtGreaterThanOrEqual: second, updatedAtLessThanOrEqual: second }), pager: pager(1) });
  assert.ok(r.totalCount > 10000);
});

test('a keyset read (+updatedAt, updatedAtGreaterThanOrEqual, idNotIn) answers every page', async () => {
  // Walk a window without a tie over 500 rows: every page is a fresh query past the cap.
  let from = 0;
  let pages = 0;
  const seen = new Set<string>();
  const truth = emu.control.truth('media');
  const maxSecond = Math.min(...truth.map((t) => t.updatedAt)) + 86400 * 600;
  const expected = truth.filter((t) => t.updatedAt <= maxSecond).length;
  let notIn: string[] = [];
  for (;;) {
    const filter = everything('KalturaMediaEntryFilter', { orderBy: '+updatedAt', updatedAtLessThanOrEqual: maxSecond, ...(from ? { updatedAtGreaterThanOrEqual: from } : {}), ...(notIn.length ? { idNotIn: notIn.join(',') } : {}) });
    const r = await api(emu, 'media', 'list', { ks, filter, pager: pager(500) });
    assert.equal(r.objectType, 'KalturaMediaListResponse');
    pages++;
    for (const o of r.objects) seen.add(o.id);
    if (r.objects.length < 500) break;
    const last = r.objects[r.objects.length - 1].updatedAt;
    notIn = last === from ? [...notIn, ...r.objects.map((o: any) => o.id)] : r.objects.filter((o: any) => o.updatedAt === last).map((o: any) => o.id);
    from = last;
    assert.ok(notIn.length <= 500, 'this window has no tie over 500 rows');
  }
  assert.equal(seen.size, expected);
  assert.ok(pages > 2);
});
