/** The seeded account: deterministic, and shaped like a real one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildAccount } from '../../fixtures/emulator/index.js';
import { entryObject } from '../../fixtures/emulator/objects/entry.js';
import { BULK_500_AT } from '../../fixtures/emulator/generator.js';

const big = buildAccount({ entries: 4000, categories: 120, seed: 61 });
const main = big.state.mainPartner;
const objects = Array.from({ length: main.entries.size }, (_, r) => entryObject(main, r));

test('the same seed gives the same account; another seed another one', () => {
  const a = buildAccount({ entries: 500, categories: 20, seed: 7 });
  const b = buildAccount({ entries: 500, categories: 20, seed: 7 });
  const c = buildAccount({ entries: 500, categories: 20, seed: 8 });
  assert.deepEqual(a.control.truth('entries'), b.control.truth('entries'));
  assert.deepEqual(a.control.truth('categories'), b.control.truth('categories'));
  assert.deepEqual(a.tokens, b.tokens);
  assert.notDeepEqual(a.control.truth('entries').map((t) => t.id), c.control.truth('entries').map((t) => t.id));
});

test('entries have every status, including deleted, pending moderation and recycled', () => {
  const statuses = new Set(objects.map((o) => o.status));
  for (const s of [-2, -1, 0, 1, 2, 3, 4, 5, 6, 7]) assert.ok(statuses.has(s), `status ${s}`);
  assert.ok(objects.some((o) => o.moderationStatus === 1));
  assert.ok(objects.some((o) => o.moderationStatus === 3));
  assert.ok(objects.some((o) => o.displayInSearch === -2), 'recycled');
  assert.ok(objects.some((o) => o.displayInSearch === -1), 'system');
});

test('entries cover every media type and non-media entry types', () => {
  const kinds = new Set(objects.map((o) => `${o.type}/${o.mediaType ?? '-'}`));
  for (const k of ['1/1', '1/2', '1/5', '7/201', '5/-', '6/-', '10/-']) assert.ok(kinds.has(k), k);
});

test('some entries are children of others (parentEntryId) and several users own entries', () => {
  const children = objects.filter((o) => o.parentEntryId);
  assert.ok(children.length > 10);
  for (const c of children) assert.equal(c.rootEntryId, c.parentEntryId);
  assert.ok(new Set(objects.map((o) => o.userId)).size >= 8);
});

test('names, tags and descriptions contain commas, quotes, newlines and non-ASCII text', () => {
  const text = objects.map((o) => `${o.name}\u0000${o.tags}\u0000${o.description ?? ''}`).join('\u0001');
  for (const needle of [',', '"', '\n', 'é', '東京', '😀']) assert.ok(text.includes(needle), JSON.stringify(needle));
  assert.ok(objects.some((o) => String(o.tags).includes(', ')));
});

test('timestamps spread over years with many ties, and a bulk second holds more than 500 rows', () => {
  const created = objects.map((o) => o.createdAt as number);
  assert.ok(Math.max(...created) - Math.min(...created) > 5 * 365 * 86400);
  const updated = new Map<number, number>();
  for (const o of objects) updated.set(o.updatedAt as number, (updated.get(o.updatedAt as number) ?? 0) + 1);
  assert.ok([...updated.values()].filter((n) => n > 1).length > 100, 'many ties');
  assert.ok((updated.get(BULK_500_AT) ?? 0) > 500);
  assert.ok(objects.every((o) => (o.updatedAt as number) >= (o.createdAt as number)));
});

test('the category tree is several levels deep, with ids and names joined by > in fullIds and fullName', () => {
  const rows = main.categories.rows;
  assert.ok(Math.max(...rows.map((c) => c.depth)) >= 4);
  for (const c of rows) {
    assert.equal(c.fullIds.split('>').length, c.depth + 1);
    assert.equal(c.fullIds.split('>').pop(), String(c.id));
  }
  assert.ok(rows.some((c) => c.status === 3), 'some categories are deleted');
});

test('a million-entry account fits in memory (typed columns), generated in seconds', { timeout: 60000 }, () => {
  const t = Date.now();
  const before = process.memoryUsage().rss;
  const acc = buildAccount({ entries: 1_000_000, categories: 1000, seed: 2 });
  assert.equal(acc.state.mainPartner.entries.size, 1_000_000);
  assert.ok(Date.now() - t < 30000);
  assert.ok(process.memoryUsage().rss - before < 1_000_000_000);
});
