/** Section 1 of the API page: content type, format, HTTP 200 errors, JSON encoding, multirequest. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type Emulator } from '../../fixtures/emulator/index.js';
import { api, login, pager, post } from './helpers.js';

let emu: Emulator;
let ks: string;
before(async () => {
  emu = await startEmulator({ entries: 400, categories: 15, seed: 5 });
  ks = await login(emu, 'admin');
});
after(async () => {
  await emu.close();
});

const listUrl = (): string => `${emu.url}/api_v3/service/media/action/list`;
const MISSING_KS_XML =
  '<error><code>MISSING_KS</code><message>Missing KS, session not established</message><objectType>KalturaAPIException</objectType><args></args></error>';

test('a JSON body with "application/json; charset=utf-8" is ignored: no ks, no format, XML MISSING_KS', async () => {
  const r = await post(listUrl(), JSON.stringify({ format: 1, ks }), 'application/json; charset=utf-8');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/xml');
  assert.match(r.text, /^<\?xml version="1\.0" encoding="utf-8"\?><xml><result>/);
  assert.ok(r.text.includes(MISSING_KS_XML), r.text);
  assert.match(r.text, /<\/result><executionTime>[0-9.]+<\/executionTime><\/xml>$/);
});

test('the content type is compared lower-cased: "Application/JSON" is read', async () => {
  const r = await post(listUrl(), JSON.stringify({ format: 1, ks, pager: pager(1) }), 'Application/JSON');
  assert.equal(JSON.parse(r.text).objectType, 'KalturaMediaListResponse');
});

test('a JSON body that does not start with { and end with } is ignored', async () => {
  const r = await post(listUrl(), ` [${JSON.stringify({ format: 1, ks })}]`);
  assert.ok(r.text.includes(MISSING_KS_XML));
});

test('without format: 1 the answer is XML, with objects and their objectType first', async () => {
  const r = await post(listUrl(), JSON.stringify({ ks, pager: pager(2) }));
  assert.equal(r.headers.get('content-type'), 'text/xml');
  assert.match(r.text, /^<\?xml version="1\.0" encoding="utf-8"\?><xml><result><objectType>KalturaMediaListResponse<\/objectType><objects><item><objectType>Kaltura(Media|LiveStream)Entry<\/objectType><id>0_[0-9a-z]{8}<\/id>/);
  assert.match(r.text, /<totalCount>\d+<\/totalCount><\/result>/);
});

test('XML errors carry args as KalturaApiExceptionArg items', async () => {
  const r = await post(listUrl(), JSON.stringify({ ks: 'bad' }));
  assert.ok(
    r.text.includes(
      '<error><code>INVALID_KS</code><message>Invalid KS &quot;bad&quot;, Error &quot;-1,INVALID_STR&quot;</message><objectType>KalturaAPIException</objectType><args><item><objectType>KalturaApiExceptionArg</objectType><name>KSID</name><value>bad</value></item>',
    ),
    r.text,
  );
});

test('API errors are HTTP 200 with a KalturaAPIException body; args is [] when empty', async () => {
  const r = await post(listUrl(), JSON.stringify({ format: 1 }));
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/json');
  assert.equal(r.text, '{"code":"MISSING_KS","message":"Missing KS, session not established","objectType":"KalturaAPIException","args":[]}');
});

test('JSON is encoded like PHP json_encode: \\/ for slashes and \\uXXXX for non-ASCII', async () => {
  const r = await post(listUrl(), JSON.stringify({ format: 1, ks, pager: pager(100) }));
  assert.ok(r.text.includes('https:\\/\\/'));
  assert.ok(!/[^\x00-\x7f]/.test(r.text), 'no raw non-ASCII bytes');
  const parsed = JSON.parse(r.text);
  assert.ok(parsed.objects.some((o: { name: string }) => /[^\x00-\x7f]/.test(o.name)), 'names decode to non-ASCII text');
});

test('form-encoded parameters with flattened names are read too', async () => {
  const body = new URLSearchParams({ format: '1', ks, 'pager:pageSize': '3', 'filter:objectType': 'KalturaMediaEntryFilter' }).toString();
  const r = await post(listUrl(), body, 'application/x-www-form-urlencoded');
  const parsed = JSON.parse(r.text);
  assert.equal(parsed.objectType, 'KalturaMediaListResponse');
  assert.equal(parsed.objects.length, 3);
});

test('an unknown service is SERVICE_DOES_NOT_EXISTS, an unknown action ACTION_DOES_NOT_EXISTS', async () => {
  const s = await api(emu, 'nosuch', 'list', { ks });
  assert.deepEqual(s, { code: 'SERVICE_DOES_NOT_EXISTS', message: 'Service "nosuch" does not exists', objectType: 'KalturaAPIException', args: { SRV_NAME: 'nosuch' } });
  const a = await api(emu, 'media', 'nosuch', { ks });
  assert.deepEqual(a, {
    code: 'ACTION_DOES_NOT_EXISTS',
    message: 'Action "nosuch" does not exists for service "media"',
    objectType: 'KalturaAPIException',
    args: { ACTION_NAME: 'nosuch', SERVICE_NAME: 'media' },
  });
});

test('service and action names are case-insensitive on the wire', async () => {
  const r = await post(`${emu.url}/api_v3/service/Media/action/LIST`, JSON.stringify({ format: 1, ks, pager: pager(1) }));
  assert.equal(JSON.parse(r.text).objectType, 'KalturaMediaListResponse');
});

test('multirequest answers an array in request order; a failed item is an exception and later items still run', async () => {
  const body = {
    format: 1,
    ks,
    '1': { service: 'media', action: 'list', pager: pager(2) },
    '2': { service: 'media', action: 'list', ks: 'broken' },
    '3': { service: 'category', action: 'list', pager: pager(1) },
  };
  const r = JSON.parse((await post(`${emu.url}/api_v3/service/multirequest`, JSON.stringify(body))).text);
  assert.ok(Array.isArray(r));
  assert.equal(r.length, 3);
  assert.equal(r[0].objectType, 'KalturaMediaListResponse');
  assert.equal(r[1].code, 'INVALID_KS');
  assert.equal(r[2].objectType, 'KalturaCategoryListResponse');
});

test('multirequest items may refer to earlier results as {N:result:path}, N counted from 1', async () => {
  const body = {
    format: 1,
    '0': { service: 'session', action: 'startWidgetSession', widgetId: `_${emu.partnerId}` },
    '1': { service: 'media', action: 'list', ks, pager: pager(1) },
    '2': { service: 'media', action: 'list', ks, filter: { objectType: 'KalturaMediaEntryFilter', idEqual: '{2:result:objects:0:id}' } },
    '3': { service: 'media', action: 'list', ks: '{1:result:ks}', pager: pager(1) },
  };
  const r = JSON.parse((await post(`${emu.url}/api_v3/service/multirequest`, JSON.stringify(body))).text);
  assert.equal(r.length, 4);
  assert.equal(r[0].objectType, 'KalturaStartWidgetSessionResponse');
  assert.equal(r[2].totalCount, 1);
  assert.equal(r[2].objects[0].id, r[1].objects[0].id);
  assert.equal(r[3].objectType, 'KalturaMediaListResponse', 'the widget KS of item 1 was used');
});

test('multirequest without format answers XML items', async () => {
  const body = { ks, '1': { service: 'media', action: 'list', pager: pager(1) }, '2': { service: 'media', action: 'nosuch' } };
  const r = await post(`${emu.url}/api_v3/service/multirequest`, JSON.stringify(body));
  assert.match(r.text, /^<\?xml version="1\.0" encoding="utf-8"\?><xml><result><item><objectType>KalturaMediaListResponse<\/objectType>.*<\/item><item><error><code>ACTION_DOES_NOT_EXISTS<\/code>/);
});

test('system.getTime answers the server clock, moved by advanceClock, without a KS', async () => {
  const emulator = await startEmulator({ entries: 10, categories: 2 });
  try {
    const ask = async () => {
      const res = await fetch(`${emulator.url}/api_v3/service/system/action/getTime`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"format":1}' });
      return JSON.parse(await res.text()) as number;
    };
    const before = await ask();
    assert.ok(Math.abs(before - emulator.control.now()) <= 1);
    emulator.control.advanceClock(3600);
    assert.ok((await ask()) >= before + 3600);
  } finally {
    await emulator.close();
  }
});
