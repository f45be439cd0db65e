/**
 * Every object the emulator emits validates against schemas/media.json and schemas/categories.json
 * (the record schemas: times there are RFC 3339 strings, so unix seconds are converted first, as
 * the connector does). Live-only fields of KalturaLiveStreamEntry are outside section 6 and outside
 * the media schema: they are checked to appear on live objects only, then left out.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { startEmulator, type Emulator } from '../../fixtures/emulator/index.js';
import { LIVE_ONLY_FIELDS } from '../../fixtures/emulator/objects/entry.js';
import { everything, listAll, login } from './helpers.js';

const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as FormatsPlugin;

let emu: Emulator;
let ks: string;
before(async () => {
  emu = await startEmulator({ entries: 2500, categories: 80, seed: 51 });
  ks = await login(emu, 'admin');
});
after(async () => {
  await emu.close();
});

function loadSchema(name: string): Record<string, any> {
  return JSON.parse(readFileSync(new URL(`../../../schemas/${name}.json`, import.meta.url), 'utf8'));
}

function toRecord(o: Record<string, unknown>, schema: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const prop = schema.properties?.[k];
    out[k] = prop?.format === 'date-time' && typeof v === 'number' ? new Date(v * 1000).toISOString() : v;
  }
  return out;
}

function validator(name: string) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const schema = loadSchema(name);
  return { schema, validate: ajv.compile(schema) };
}

test('every media.list object validates against schemas/media.json', async () => {
  const { schema, validate } = validator('media');
  const rows = await listAll(emu, 'media', ks, everything());
  assert.ok(rows.length > 2000);
  const failures: string[] = [];
  for (const o of rows) {
    const live = o.objectType === 'KalturaLiveStreamEntry' || o.objectType === 'KalturaLiveChannel';
    const copy = { ...o };
    for (const f of LIVE_ONLY_FIELDS) {
      if (f in copy) {
        assert.ok(live, `${f} on ${o.objectType}`);
        delete copy[f];
      }
    }
    if (!validate(toRecord(copy, schema))) failures.push(`${o.id} ${o.objectType}: ${JSON.stringify(validate.errors)}`);
  }
  assert.deepEqual(failures.slice(0, 5), []);
});

test('every category.list object validates against schemas/categories.json', async () => {
  const { schema, validate } = validator('categories');
  const rows = await listAll(emu, 'category', ks, { objectType: 'KalturaCategoryFilter' });
  assert.ok(rows.length > 50);
  const failures = rows.filter((c) => !validate(toRecord(c, schema))).map((c) => `${c.id}: ${JSON.stringify(validate.errors)}`);
  assert.deepEqual(failures.slice(0, 5), []);
});
