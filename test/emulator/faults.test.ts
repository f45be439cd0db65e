/** Fault injection: latency, HTTP errors, 429s, resets, hung requests, truncated bodies, ACTION_BLOCKED, INTERNAL_SERVERL_ERROR, INTERNAL_DATABASE_ERROR. */
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type Emulator } from '../../fixtures/emulator/index.js';
import { api, login, pager, post } from './helpers.js';

let emu: Emulator;
let ks: string;
before(async () => {
  emu = await startEmulator({ entries: 200, categories: 10, seed: 41 });
  ks = await login(emu, 'admin');
});
afterEach(() => emu.control.clearFaults());
after(async () => {
  await emu.close();
});

const listRaw = () => post(`${emu.url}/api_v3/service/media/action/list`, JSON.stringify({ format: 1, ks, pager: pager(5) }));

test('latencyMs is added to every answer', async () => {
  emu.control.setFaults({ latencyMs: 120 });
  const t = Date.now();
  await listRaw();
  assert.ok(Date.now() - t >= 115);
});

test('httpErrorRate answers the configured HTTP statuses; 429 carries Retry-After: 1', async () => {
  emu.control.setFaults({ httpErrorRate: 1, httpErrorStatuses: [503] });
  assert.equal((await listRaw()).status, 503);
  emu.control.setFaults({ httpErrorStatuses: [429] });
  const r = await listRaw();
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('retry-after'), '1');
});

test('resetRate destroys the connection without an answer', async () => {
  emu.control.setFaults({ resetRate: 1 });
  await assert.rejects(listRaw());
});

test('truncateRate sends status 200 and headers but only half of the body', async () => {
  emu.control.setFaults({ truncateRate: 1 });
  const res = await fetch(`${emu.url}/api_v3/service/media/action/list`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ format: 1, ks, pager: pager(5) }) });
  assert.equal(res.status, 200);
  await assert.rejects(res.text().then((t) => JSON.parse(t)));
});

test('actionBlockedBurst: the next N list calls answer ACTION_BLOCKED with the exact message and args', async () => {
  emu.control.setFaults({ actionBlockedBurst: 2 });
  for (let i = 0; i < 2; i++) {
    const r = await api(emu, 'media', 'list', { ks });
    assert.deepEqual(r, { code: 'ACTION_BLOCKED', message: 'Action "list" in service "media" is blocked', objectType: 'KalturaAPIException', args: { ACTION_NAME: 'list', SERVICE_NAME: 'media' } });
  }
  assert.equal((await api(emu, 'media', 'list', { ks })).objectType, 'KalturaMediaListResponse');
});

test('actionBlockedRate answers ACTION_BLOCKED at random, with HTTP 200', async () => {
  emu.control.setFaults({ actionBlockedRate: 1 });
  const r = await listRaw();
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.text).code, 'ACTION_BLOCKED');
});

test('internalErrorRate answers INTERNAL_SERVERL_ERROR "Internal server error occurred" with args []', async () => {
  emu.control.setFaults({ internalErrorRate: 1 });
  assert.deepEqual(await api(emu, 'category', 'list', { ks }), { code: 'INTERNAL_SERVERL_ERROR', message: 'Internal server error occurred', objectType: 'KalturaAPIException', args: [] });
});

test('rateLimitRate answers 429 with Retry-After: 1, apart from httpErrorRate\'s statuses', async () => {
  emu.control.setFaults({ rateLimitRate: 1 });
  const r = await listRaw();
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('retry-after'), '1');
  // With both, a 5xx is drawn first and the 429s come on top of it.
  emu.control.setFaults({ httpErrorRate: 1, httpErrorStatuses: [503], rateLimitRate: 1 });
  assert.equal((await listRaw()).status, 503);
});

test('databaseErrorRate answers INTERNAL_DATABASE_ERROR "Internal database error" with args [], HTTP 200', async () => {
  emu.control.setFaults({ databaseErrorRate: 1 });
  const r = await listRaw();
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.text), { code: 'INTERNAL_DATABASE_ERROR', message: 'Internal database error', objectType: 'KalturaAPIException', args: [] });
  // An error the call earns anyway (a bad KS) is answered as such.
  assert.equal((await api(emu, 'media', 'list', { ks: 'not-a-ks' })).code, 'INVALID_KS');
});

test('hangRate reads the request and never answers; the emulator still answers others', async () => {
  emu.control.setFaults({ hangRate: 1, onlyServices: ['media.list'] });
  const started = Date.now();
  await assert.rejects(
    fetch(`${emu.url}/api_v3/service/media/action/list`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ format: 1, ks, pager: pager(5) }), signal: AbortSignal.timeout(500) }),
    (err: Error) => err.name === 'TimeoutError',
  );
  assert.ok(Date.now() - started >= 450, 'no answer for as long as the client waited');
  assert.equal((await api(emu, 'category', 'list', { ks, pager: pager(1) })).objectType, 'KalturaCategoryListResponse');
});

test('onlyServices limits faults to the named service.action keys (login is spared)', async () => {
  emu.control.setFaults({ httpErrorRate: 1, httpErrorStatuses: [502], onlyServices: ['media.list'] });
  const fresh = await login(emu, 'admin');
  assert.ok(fresh);
  assert.equal((await listRaw()).status, 502);
  assert.equal((await api(emu, 'category', 'list', { ks, pager: pager(1) })).objectType, 'KalturaCategoryListResponse');
});

test('faults use their own seeded PRNG: the same seed fails the same calls', async () => {
  const run = async (): Promise<number[]> => {
    emu.control.setFaults({ httpErrorRate: 0.5, httpErrorStatuses: [500, 502], seed: 99 });
    const out: number[] = [];
    for (let i = 0; i < 12; i++) out.push((await listRaw()).status);
    return out;
  };
  const a = await run();
  const b = await run();
  assert.deepEqual(a, b);
  assert.ok(a.includes(200) && a.some((s) => s !== 200));
});

test('answers carry X-Kaltura-Service-Status (OK, or NearingLimits when set)', async () => {
  assert.equal((await listRaw()).headers.get('x-kaltura-service-status'), 'OK');
  emu.control.setFaults({ serviceStatus: 'NearingLimits' });
  assert.equal((await listRaw()).headers.get('x-kaltura-service-status'), 'NearingLimits');
});

test('clearFaults restores normal answers', async () => {
  emu.control.setFaults({ httpErrorRate: 1 });
  emu.control.clearFaults();
  assert.equal((await listRaw()).status, 200);
});

test('valueDrift (set over HTTP at /__emulator/setFaults) sends the named fields in another type, in JSON and XML, on every answer', async () => {
  const everyRow = { format: 1, ks, filter: { objectType: 'KalturaMediaEntryFilter', orderBy: '+createdAt' }, pager: pager(10) };
  const clean = JSON.parse((await post(`${emu.url}/api_v3/service/media/action/list`, JSON.stringify(everyRow))).text).objects as Array<Record<string, unknown>>;
  const target = clean.find((o) => typeof o.plays === 'number')!;
  const drift = { valueDrift: [{ service: 'media', field: 'version', to: 'string' }, { service: 'media', field: 'plays', to: 'garbage', ids: [target.id] }] };
  assert.equal((await post(`${emu.url}/__emulator/setFaults`, JSON.stringify(drift))).status, 200);
  for (let round = 0; round < 2; round++) {
    const drifted = JSON.parse((await post(`${emu.url}/api_v3/service/media/action/list`, JSON.stringify(everyRow))).text).objects as Array<Record<string, unknown>>;
    assert.deepEqual(drifted.map((o) => o.id), clean.map((o) => o.id), 'the same rows, in the same order');
    for (const [i, o] of drifted.entries()) {
      assert.equal(o.version, String(clean[i]!.version), 'version as text on every row');
      assert.equal(o.plays, o.id === target.id ? 'n/a' : clean[i]!.plays, 'plays only on the row named');
      assert.equal(o.name, clean[i]!.name, 'other fields unchanged');
    }
  }
  const xml = (await post(`${emu.url}/api_v3/service/media/action/list`, JSON.stringify({ ...everyRow, format: 2 }))).text;
  assert.ok(xml.includes('<plays>n/a</plays>'), 'XML answers drift too');
  // Other lists are untouched.
  const categories = await api(emu, 'category', 'list', { ks, pager: pager(3) });
  assert.equal(typeof categories.objects[0].depth, 'number');
  emu.control.clearFaults();
  const after = JSON.parse((await post(`${emu.url}/api_v3/service/media/action/list`, JSON.stringify(everyRow))).text).objects as Array<Record<string, unknown>>;
  assert.deepEqual(after, clean, 'cleared: the answers are as before');
});
