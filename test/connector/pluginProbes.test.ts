import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, recordsOf } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { run as runCli } from '../singer/run.js';

// Which plugins a server has is asked only for the streams a run reads: a read of media alone
// sends no metadata or caption request (figure 4 of BENCHMARKS.md counts every list request).

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 300, categories: 20, seed: 61 });
});
after(() => fx.close());

const pluginRequests = () =>
  Object.entries(fx.emulator.control.requestCounts())
    .filter(([key]) => key.startsWith('metadata_') || key.startsWith('caption_'))
    .map(([key, n]) => `${key} ${n}`);

test('a catalog or --streams without metadata or caption streams sends no request to those plugins', async () => {
  fx.emulator.control.resetRequestCounts();
  const airbyte = await runConnector(['read', '--config', fx.config(), '--catalog', fx.catalog([['media', 'full_refresh']])]);
  assert.equal(airbyte.code, 0);
  assert.equal(recordsOf(airbyte.messages, 'media').length, fx.emulator.control.truth('media').length);
  assert.deepEqual(pluginRequests(), [], 'Airbyte read of media');

  const singer = await runCli('tap', ['--config', fx.config(), '--streams', 'media,categories']);
  assert.equal(singer.code, 0, singer.stderr);
  assert.deepEqual(pluginRequests(), [], 'Singer --streams media,categories');
});

test('a run that names a caption or metadata stream still asks whether the server has its plugin', async () => {
  fx.emulator.control.resetRequestCounts();
  const airbyte = await runConnector(['read', '--config', fx.config(), '--catalog', fx.catalog([['caption_assets', 'full_refresh']])]);
  assert.equal(airbyte.code, 0);
  assert.ok(pluginRequests().some((r) => r.startsWith('caption_captionasset.list')), 'the caption list');
  assert.ok(!pluginRequests().some((r) => r.startsWith('metadata_')), 'no metadata request for a caption read');
  fx.emulator.control.resetRequestCounts();
  const cron = await runCli('connector', ['read', '--config', fx.config(), '--output', 'jsonl', '--output-dir', `${fx.dir}/out`, '--streams', 'metadata_profiles']);
  assert.equal(cron.code, 0, cron.stderr);
  assert.ok(pluginRequests().some((r) => r.startsWith('metadata_metadataprofile.list')), 'the profile list');
  assert.ok(!pluginRequests().some((r) => r.startsWith('caption_')), 'no caption request for a metadata read');
});
