import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runConnector, recordsOf, ofType, tempDir } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { run as runCli } from '../singer/run.js';

// A Kaltura server without the metadata and caption plugins (their services answer
// SERVICE_DOES_NOT_EXISTS) is not a failure: what it cannot serve is left out and said once.

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 200, categories: 20, users: 10, seed: 41, withoutPlugins: ['metadata', 'caption'] });
});
after(() => fx.close());

const missing = ['metadata', 'metadata_profiles', 'caption_assets'];

test('the emulator can run without plugins: their services answer SERVICE_DOES_NOT_EXISTS, and a control switches them back', async () => {
  const ask = (service: string) =>
    fetch(`${fx.emulator.url}/api_v3/service/${service}/action/list`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ format: 1 }) }).then((r) => r.json() as Promise<Record<string, unknown>>);
  assert.equal((await ask('metadata_metadataprofile')).code, 'SERVICE_DOES_NOT_EXISTS');
  assert.equal((await ask('caption_captionasset')).code, 'SERVICE_DOES_NOT_EXISTS');
  fx.emulator.control.setPlugin('caption', true);
  try {
    assert.notEqual((await ask('caption_captionasset')).code, 'SERVICE_DOES_NOT_EXISTS');
  } finally {
    fx.emulator.control.setPlugin('caption', false);
  }
});

test('check SUCCEEDS when the login works and streams can be read, naming each unavailable stream and why', async () => {
  const run = await runConnector(['check', '--config', fx.config()]);
  assert.equal(run.code, 0);
  const status = ofType(run.messages, 'CONNECTION_STATUS')[0]!.connectionStatus;
  assert.equal(status.status, 'SUCCEEDED', status.message);
  assert.match(status.message, /metadata: this Kaltura server has no metadata plugin/);
  assert.match(status.message, /metadata_profiles: this Kaltura server has no metadata plugin/);
  assert.match(status.message, /caption_assets: this Kaltura server has no caption plugin/);
  assert.match(status.message, /Readable streams: media \(/);
});

test('discover offers only the streams this server can serve', async () => {
  const run = await runConnector(['discover', '--config', fx.config()]);
  assert.equal(run.code, 0);
  const names = (ofType(run.messages, 'CATALOG')[0]!.catalog.streams as Array<{ name: string }>).map((s) => s.name);
  assert.deepEqual(names, ['media', 'categories', 'category_entries', 'users', 'flavor_assets']);
});

test('an Airbyte catalog selecting an unavailable stream: that stream fails alone naming the plugin, the others complete', async () => {
  fx.emulator.control.resetRequestCounts();
  const run = await runConnector(['read', '--config', fx.config(), '--catalog', fx.catalog([['media', 'incremental'], ['caption_assets', 'full_refresh'], ['metadata', 'incremental']])]);
  assert.equal(run.code, 1, 'a selected stream failed');
  const traces = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');
  const caption = traces.find((m) => m.trace.error.stream_descriptor?.name === 'caption_assets');
  assert.ok(caption, 'caption_assets has its TRACE error');
  assert.match(caption.trace.error.message, /caption_assets cannot be read: this Kaltura server has no caption plugin/);
  assert.equal(caption.trace.error.failure_type, 'config_error');
  assert.match(traces.find((m) => m.trace.error.stream_descriptor?.name === 'metadata')!.trace.error.message, /no metadata plugin/);
  const statuses = ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'STREAM_STATUS').map((m) => `${m.trace.stream_status.stream_descriptor.name}:${m.trace.stream_status.status}`);
  assert.ok(statuses.includes('media:COMPLETE') && statuses.includes('caption_assets:INCOMPLETE') && statuses.includes('metadata:INCOMPLETE'), statuses.join(' '));
  assert.equal(recordsOf(run.messages, 'media').length, fx.emulator.control.truth('media').length, 'media is read in full');
  const counts = fx.emulator.control.requestCounts();
  assert.equal(counts['caption_captionasset.list'] ?? 0, 1, 'the missing service is asked once, by the stream resolution, not by the stream');
});

test('cron without a catalog reads every available stream, says once on stderr which it skipped and why, and exits 0', async () => {
  const dir = tempDir();
  const run = await runCli('connector', ['read', '--config', fx.config(), '--output', 'jsonl', '--output-dir', dir, '--state-file', join(dir, 'state.json')]);
  assert.equal(run.code, 0, run.stderr);
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).map((f) => f.replace(/-\d{8}T\d{6}Z.*\.jsonl$/, '')).sort();
  assert.deepEqual(files, ['categories', 'category_entries', 'flavor_assets', 'media', 'users']);
  const skipped = run.stderr.split('\n').filter((l) => l.includes('cannot serve'));
  assert.equal(skipped.length, 1, run.stderr);
  for (const name of missing) assert.match(skipped[0]!, new RegExp(`${name}: this Kaltura server has no (metadata|caption) plugin`));
});

test('Singer without a catalog reads every available stream, says once on stderr which it skipped, and exits 0; its discover leaves them out', async () => {
  const run = await runCli('tap', ['--config', fx.config()]);
  assert.equal(run.code, 0, run.stderr);
  const streams = new Set(run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>).filter((m) => m.type === 'RECORD').map((m) => m.stream));
  assert.deepEqual([...streams].sort(), ['categories', 'category_entries', 'flavor_assets', 'media', 'users']);
  assert.equal(run.stderr.split('\n').filter((l) => l.includes('cannot serve')).length, 1, run.stderr);
  assert.match(run.stderr, /caption_assets: this Kaltura server has no caption plugin/);
  const discovered = await runCli('tap', ['--config', fx.config(), '--discover']);
  assert.equal(discovered.code, 0, discovered.stderr);
  const names = (JSON.parse(discovered.stdout) as { streams: Array<{ tap_stream_id: string }> }).streams.map((s) => s.tap_stream_id);
  assert.deepEqual(names, ['media', 'categories', 'category_entries', 'users', 'flavor_assets']);
});

test('with only the caption plugin missing, metadata and its profile streams are offered', async () => {
  fx.emulator.control.setPlugin('metadata', true);
  try {
    const run = await runConnector(['discover', '--config', fx.config()]);
    const names = (ofType(run.messages, 'CATALOG')[0]!.catalog.streams as Array<{ name: string }>).map((s) => s.name);
    assert.ok(names.includes('metadata') && names.includes('metadata_profiles') && names.includes('metadata_lecture_capture'));
    assert.ok(!names.includes('caption_assets'));
  } finally {
    fx.emulator.control.setPlugin('metadata', false);
  }
});
