import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertSameRecords, primaryKeyOf, runConnector, speaksAirbyte, tempDir } from '../helpers/cli.js';

// runConnector validates every stdout line of an Airbyte command against the protocol schema by
// itself. A stand-in connector prints what it is told to, so the check can be seen to fail.
function fakeConnector(lines: unknown[]): string {
  const path = join(tempDir(), 'fake-connector.mjs');
  writeFileSync(path, `for (const line of ${JSON.stringify(lines.map((l) => JSON.stringify(l)))}) process.stdout.write(line + '\\n');\n`);
  return path;
}

const valid = { type: 'LOG', log: { level: 'INFO', message: 'hello' } };
const invalid = { type: 'RECORD', record: { stream: 'media', data: { id: '0_a' } } }; // no emitted_at

test('an Airbyte command that prints a message the protocol schema refuses fails the run, naming the line', async () => {
  const entry = fakeConnector([valid, invalid]);
  for (const args of [['spec'], ['check', '--config', 'c.json'], ['discover', '--config', 'c.json'], ['read', '--config', 'c.json', '--catalog', 'k.json']]) {
    await assert.rejects(runConnector(args, { entry }), /stdout line 2 is not a valid Airbyte message .*emitted_at/s, args.join(' '));
  }
  const ok = await runConnector(['read', '--config', 'c.json', '--catalog', 'k.json'], { entry: fakeConnector([valid, valid]) });
  assert.equal(ok.validated, 2);
});

test('Singer and cron command lines are not held to the Airbyte schema, but must still print JSON', async () => {
  const entry = fakeConnector([invalid]);
  for (const args of [['--config', 'c.json'], ['read', '--config', 'c.json', '--output', 'csv', '--output-dir', 'd'], ['read', '--output=jsonl', '--output-dir', 'd']]) {
    assert.equal(speaksAirbyte(args), false, args.join(' '));
    const run = await runConnector(args, { entry });
    assert.equal(run.validated, 0);
    assert.equal(run.messages.length, 1);
  }
  assert.equal(speaksAirbyte(['read', '--config', 'c.json', '--catalog', 'k.json', '--state', 's.json']), true);
  const notJson = join(tempDir(), 'text.mjs');
  writeFileSync(notJson, "process.stdout.write('hello\\n');\n");
  await assert.rejects(runConnector(['--config', 'c.json'], { entry: notJson }), /stdout line 1 is not JSON: hello/);
});

test('the hooks see each message while the connector runs', async () => {
  const seen: number[] = [];
  const run = await runConnector(['spec'], { entry: fakeConnector([valid, valid, valid]), onMessage: (_m, i) => seen.push(i) });
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(run.code, 0);
});

test('assertSameRecords compares each stream by its primary key: category_entries by categoryId and entryId', () => {
  const link = (categoryId: number, entryId: string) => ({ type: 'RECORD', record: { stream: 'category_entries', emitted_at: 1, data: { categoryId, entryId, createdAt: '2024-01-01T00:00:00Z' } } });
  const media = (id: string) => ({ type: 'RECORD', record: { stream: 'media', emitted_at: 1, data: { id } } });
  assert.equal(primaryKeyOf('category_entries', { categoryId: 7, entryId: '0_a' }), '[7,"0_a"]');
  assert.equal(primaryKeyOf('media', { id: '0_a' }), '["0_a"]');
  assert.throws(() => primaryKeyOf('category_entries', { categoryId: 7 }), /without its key entryId/);
  const both = [link(1, '0_a'), link(1, '0_b'), media('0_a')];
  assertSameRecords(['category_entries', 'media'], [...both].reverse(), both, 'same records in another order');
  // Links without an id: a missing one, or another link in its place, is seen.
  assert.throws(() => assertSameRecords(['category_entries'], [link(1, '0_a')], both, 'one missing'), /category_entries: one missing/);
  assert.throws(() => assertSameRecords(['category_entries'], [link(1, '0_a'), link(2, '0_b')], both, 'another link'), /category_entries: another link/);
  assert.throws(() => assertSameRecords(['category_entries'], [link(1, '0_a'), link(1, '0_a'), link(1, '0_b')], both, 'a duplicate'), /a duplicate/);
  assert.throws(() => assertSameRecords(['media'], [], [], 'none'), /media has records/);
});
