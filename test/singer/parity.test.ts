// The README promises "Records are the same as the Airbyte ones": the same small media read, as
// Singer RECORD `record` and as Airbyte RECORD `data`, compared field by field.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordsOf, repoRoot, runConnector } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { assertValidSingerOutput } from './singerMessages.js';
import { jsonLines, run } from './run.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 120, categories: 5, seed: 97 });
});
after(() => fx.close());

const rfc3339Utc = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

test('a Singer RECORD holds exactly the data of the Airbyte RECORD of the same media read, date-times as RFC 3339 in both', async () => {
  const config = fx.config();
  const airbyte = await runConnector(['read', '--config', config, '--catalog', fx.catalog([['media', 'full_refresh']])]);
  assert.equal(airbyte.code, 0, airbyte.stderr);
  const discovered = await run('tap', ['--config', config, '--discover']);
  assert.equal(discovered.code, 0, discovered.stderr);
  const catalog = JSON.parse(discovered.stdout) as { streams: Array<{ tap_stream_id: string; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }> };
  for (const entry of catalog.streams) {
    const md = entry.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
    md.selected = entry.tap_stream_id === 'media';
    md['replication-method'] = 'FULL_TABLE';
  }
  const singer = await run('tap', ['--config', config, '--catalog', fx.write('media-only.json', catalog)]);
  assert.equal(singer.code, 0, singer.stderr);

  const fromAirbyte = recordsOf(airbyte.messages, 'media');
  const fromSinger = assertValidSingerOutput(jsonLines(singer.stdout)).records.get('media') ?? [];
  assert.equal(fromAirbyte.length, fx.emulator.control.truth('media').length, 'every entry, from Airbyte');
  const byId = new Map(fromAirbyte.map((r) => [r.id, r]));
  assert.equal(byId.size, fromAirbyte.length);
  assert.equal(fromSinger.length, fromAirbyte.length, 'as many records from Singer');
  for (const record of fromSinger) assert.deepEqual(record, byId.get(record.id), `media ${record.id}: the same fields and values, in the same order`);
  for (const record of fromSinger) assert.deepEqual(Object.keys(record), Object.keys(byId.get(record.id)!), 'the same key order');

  const properties = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'media.json'), 'utf8')).properties as Record<string, { format?: string }>;
  const dateTimes = Object.keys(properties).filter((f) => properties[f]!.format === 'date-time');
  assert.ok(dateTimes.includes('updatedAt') && dateTimes.includes('createdAt'));
  let checked = 0;
  for (const record of fromSinger) {
    for (const field of dateTimes) {
      if (record[field] === undefined || record[field] === null) continue;
      assert.match(record[field], rfc3339Utc, `media ${record.id}.${field}`);
      checked += 1;
    }
  }
  assert.ok(checked >= 2 * fromSinger.length, 'every record has at least its two times');
});
