// The cron read with a Singer catalog as `tap-kaltura --discover` prints it, narrowed the way a
// user (or `meltano select`) narrows it: some streams, some fields, one stream FULL_TABLE.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { repoRoot, tempDir } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { run } from '../singer/run.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 150, categories: 20, seed: 89 });
});
after(() => fx.close());

type Catalog = { streams: Array<{ tap_stream_id: string; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, any> }> }> };

const sorted = (xs: unknown[]) => xs.map(String).sort();

test('a discovered Singer catalog, narrowed to some streams and fields, decides what the cron read writes', async () => {
  const config = fx.config();
  const discovered = await run('tap', ['--config', config, '--discover']);
  assert.equal(discovered.code, 0, discovered.stderr);
  const catalog = JSON.parse(discovered.stdout) as Catalog;
  for (const entry of catalog.streams) {
    const streamMd = entry.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
    streamMd.selected = ['media', 'categories'].includes(entry.tap_stream_id);
    if (entry.tap_stream_id === 'categories') streamMd['replication-method'] = 'FULL_TABLE';
    if (entry.tap_stream_id === 'media') {
      for (const m of entry.metadata) if (m.breadcrumb.length === 2) m.metadata.selected = ['name', 'status'].includes(m.breadcrumb[1]!);
    }
  }
  const dir = tempDir();
  const r = await run('connector', ['read', '--config', config, '--catalog', fx.write('narrowed.json', catalog), '--output', 'csv', '--output-dir', dir, '--state-file', join(dir, 'state.json')]);
  assert.equal(r.code, 0, r.stderr);
  const names = readdirSync(dir).sort();
  assert.deepEqual(names.map((n) => n.replace(/\d{8}T\d{6}Z-p\d+-[0-9a-f]{8}/, 'T')), ['categories-T.csv', 'media-T.csv', 'state.json'], 'the two selected streams and nothing else');

  const csv = (stream: string) => {
    const [header, ...rows] = parse(readFileSync(join(dir, names.find((n) => n.startsWith(`${stream}-`))!), 'utf8')) as string[][];
    return { header: header!, rows };
  };
  const media = csv('media');
  assert.deepEqual(media.header, ['id', 'name', 'status', 'updatedAt'], 'the selected fields, plus the key and the replication key, in schema order');
  assert.deepEqual(sorted(media.rows.map((row) => row[0])), sorted(fx.emulator.control.truth('media').map((t) => t.id)), 'every entry');
  const categories = csv('categories');
  const allColumns = Object.keys(JSON.parse(readFileSync(join(repoRoot, 'schemas', 'categories.json'), 'utf8')).properties);
  assert.deepEqual(categories.header, allColumns, 'fields left as discovered: every column');
  assert.equal(categories.rows.length, fx.emulator.control.truth('categories').length);

  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
  assert.deepEqual(Object.keys(state.streams), ['media'], 'a state for the INCREMENTAL stream only, none for the FULL_TABLE one');
  assert.match(state.streams.media.updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});
