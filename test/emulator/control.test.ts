/** The control interface: mutations between reads, the clock, ground truth, request counts, HTTP control. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type Emulator } from '../../fixtures/emulator/index.js';
import { api, everything, login, pager, post } from './helpers.js';

let emu: Emulator;
let ks: string;
before(async () => {
  emu = await startEmulator({ entries: 1500, categories: 30, seed: 31 });
  ks = await login(emu, 'admin');
});
after(async () => {
  await emu.close();
});

const recent = (seconds: number, extra: Record<string, unknown> = {}): Promise<any> =>
  api(emu, 'media', 'list', { ks, filter: everything('KalturaMediaEntryFilter', { updatedAtGreaterThanOrEqual: -seconds, orderBy: '+updatedAt', ...extra }), pager: pager(500) });

test('advanceClock moves now() and the server clock used by relative times and KS expiry', async () => {
  const t0 = emu.control.now();
  emu.control.advanceClock(3600);
  assert.ok(emu.control.now() - t0 >= 3600 && emu.control.now() - t0 <= 3601);
});

test('updateEntries stamps updatedAt = now() on every row of the call and returns the ids', async () => {
  const ids = emu.control.truth('media').slice(10, 15).map((t) => String(t.id));
  const changed = emu.control.updateEntries([...ids, '0_unknown1']);
  assert.deepEqual(changed, ids);
  const r = await recent(60);
  assert.deepEqual(new Set(r.objects.map((o: any) => o.id)), new Set(ids));
  assert.equal(new Set(r.objects.map((o: any) => o.updatedAt)).size, 1);
  assert.ok(r.objects.every((o: any) => /\(edit 1\)$/.test(o.name)), 'the edit shows in the name');
});

test('deleteEntries sets status 3 and moves updatedAt; the rows leave default lists', async () => {
  const victim = emu.control.truth('media').find((t) => t.status === 2 && t.moderationStatus === 2 && (t.displayInSearch ?? 0) >= 0);
  assert.ok(victim);
  emu.control.advanceClock(5);
  assert.deepEqual(emu.control.deleteEntries([String(victim.id)]), [victim.id]);
  const def = await api(emu, 'media', 'list', { ks, filter: { objectType: 'KalturaMediaEntryFilter', idIn: String(victim.id) } });
  assert.equal(def.totalCount, 0);
  const r = await recent(2, { statusIn: '3' });
  assert.deepEqual(r.objects.map((o: any) => [o.id, o.status]), [[victim.id, 3]]);
});

test('addEntries creates READY media entries at now() that lists return', async () => {
  emu.control.advanceClock(5);
  const before = emu.control.truth('entries').length;
  const ids = emu.control.addEntries(7);
  assert.equal(ids.length, 7);
  assert.equal(emu.control.truth('entries').length, before + 7);
  const r = await api(emu, 'media', 'list', { ks, filter: { objectType: 'KalturaMediaEntryFilter', createdAtGreaterThanOrEqual: -2 } });
  assert.deepEqual(new Set(r.objects.map((o: any) => o.id)), new Set(ids));
});

test('bulkUpdateEntries gives `count` non-deleted entries one shared second (over 500 rows here)', async () => {
  emu.control.advanceClock(5);
  const ids = emu.control.bulkUpdateEntries(600);
  assert.equal(new Set(ids).size, 600);
  const truth = emu.control.truth('entries').filter((t) => ids.includes(String(t.id)));
  assert.equal(new Set(truth.map((t) => t.updatedAt)).size, 1);
  assert.ok(truth.every((t) => t.status !== 3));
});

test('an update between two pages of a read shows up later in updatedAt order', async () => {
  const filter = everything('KalturaMediaEntryFilter', { orderBy: '+updatedAt' });
  const p1 = await api(emu, 'media', 'list', { ks, filter, pager: pager(100, 1) });
  const moved = p1.objects[0].id;
  emu.control.advanceClock(5);
  emu.control.updateEntries([moved]);
  const p1again = await api(emu, 'media', 'list', { ks, filter, pager: pager(100, 1) });
  assert.ok(!p1again.objects.some((o: any) => o.id === moved));
  const last = await api(emu, 'media', 'list', { ks, filter: everything('KalturaMediaEntryFilter', { orderBy: '-updatedAt' }), pager: pager(1) });
  assert.equal(last.objects[0].id, moved);
});

test('updateCategories, addCategories and deleteCategories change what category.list returns', async () => {
  emu.control.advanceClock(5);
  const cats = emu.control.truth('categories');
  const [a, b] = cats.slice(-2);
  assert.ok(a && b);
  assert.deepEqual(emu.control.updateCategories([Number(a.id)]), [a.id]);
  const added = emu.control.addCategories(2);
  const r = await api(emu, 'category', 'list', { ks, filter: { objectType: 'KalturaCategoryFilter', updatedAtGreaterThanOrEqual: -2 } });
  assert.deepEqual(new Set(r.objects.map((c: any) => c.id)), new Set([a.id, ...added]));
  const removed = emu.control.deleteCategories([added[0] as number]);
  assert.deepEqual(removed, [added[0]]);
  const r2 = await api(emu, 'category', 'list', { ks, filter: { objectType: 'KalturaCategoryFilter', idIn: added.join(',') } });
  assert.deepEqual(r2.objects.map((c: any) => c.id), [added[1]]);
});

test('truth() gives every entry with status (entries), the media-type subset (media), live categories', () => {
  const entries = emu.control.truth('entries');
  const media = emu.control.truth('media');
  assert.ok(entries.length > media.length);
  assert.ok(media.every((t) => [1, 7, 8].includes(t.type ?? 0)));
  assert.ok(entries.some((t) => t.status === 3));
  assert.ok(emu.control.truth('categories').every((c) => c.status !== 3));
});

test('requestCounts counts calls per service.action and multirequests; resetRequestCounts clears them', async () => {
  emu.control.resetRequestCounts();
  await api(emu, 'media', 'list', { ks, pager: pager(1) });
  await api(emu, 'media', 'list', { ks, pager: pager(1) });
  await post(`${emu.url}/api_v3/service/multirequest`, JSON.stringify({ format: 1, ks, '1': { service: 'category', action: 'list' }, '2': { service: 'baseEntry', action: 'list' } }));
  assert.deepEqual(emu.control.requestCounts(), { 'media.list': 2, multirequest: 1, 'category.list': 1, 'baseentry.list': 1 });
  emu.control.resetRequestCounts();
  assert.deepEqual(emu.control.requestCounts(), {});
});

test('the control interface is also served as JSON at POST /__emulator/<method>', async () => {
  const now = JSON.parse((await post(`${emu.url}/__emulator/now`, '')).text);
  assert.ok(Math.abs(now.result - emu.control.now()) <= 1);
  await post(`${emu.url}/__emulator/advanceClock`, JSON.stringify({ seconds: 100 }));
  assert.ok(emu.control.now() - now.result >= 100);
  const ids = JSON.parse((await post(`${emu.url}/__emulator/addEntries`, JSON.stringify([2]))).text).result;
  assert.equal(ids.length, 2);
  await post(`${emu.url}/__emulator/setFaults`, JSON.stringify({ latencyMs: 1 }));
  const bad = await post(`${emu.url}/__emulator/nosuch`, '{}');
  assert.equal(bad.status, 404);
  await post(`${emu.url}/__emulator/clearFaults`, '');
});
