// Picking streams without a catalog (`--streams`), refusing a catalog that lists a stream twice,
// and two runs writing into one directory at the same time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ofType, runConnector, tempDir, writeJson } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { jsonLines, run } from '../singer/run.js';
import { streams } from '../../connector/streams/index.js';
import type { StreamDefinition } from '../../connector/streams/definition.js';
import { parseStreamsFlag, selectionsFromNames } from '../../connector/protocol/selections.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 800, categories: 60, seed: 53 });
});
after(() => fx.close());

const stamp = /\d{8}T\d{6}Z-p\d+-[0-9a-f]{8}/;
const only = (...available: StreamDefinition[]) => ({ available, unavailable: [] });
const csvRows = (path: string) => (parse(readFileSync(path, 'utf8')) as string[][]).length - 1;

test('cron --streams reads only the named streams, each in the mode it asks for', async () => {
  const dir = tempDir();
  const r = await run('connector', ['read', '--config', fx.config(), '--output', 'csv', '--output-dir', dir, '--state-file', join(dir, 'state.json'), '--streams', 'media,categories:full_refresh']);
  assert.equal(r.code, 0, r.stderr);
  const names = readdirSync(dir).sort();
  assert.deepEqual(names.map((n) => n.replace(stamp, 'T')), ['categories-T.csv', 'media-T.csv', 'state.json']);
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).streams), ['media'], 'a state for the incremental stream only');
  assert.equal(csvRows(join(dir, names[0]!)), fx.emulator.control.truth('categories').length);
  assert.equal(csvRows(join(dir, names[1]!)), fx.emulator.control.truth('media').length);
});

test('an unknown --streams name is refused listing the valid ones, exit 2, nothing written', async () => {
  const dir = tempDir();
  const r = await run('connector', ['read', '--config', fx.config(), '--output', 'csv', '--output-dir', dir, '--streams', 'media,playlists']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`--streams names "playlists", which this connector cannot read here\\. The streams are: ${streams.map((s) => s.name).join(', ')} \\(and one metadata_<name> stream per metadata profile`));
  assert.deepEqual(readdirSync(dir), []);
  const malformed = await run('connector', ['read', '--config', fx.config(), '--output', 'csv', '--output-dir', dir, '--streams', 'media:sometimes']);
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /"media:sometimes": a stream name, optionally followed by :full_refresh or :incremental/);
  const both = await run('connector', ['read', '--config', fx.config(), '--output', 'csv', '--output-dir', dir, '--streams', 'media', '--catalog', fx.catalog([['media', 'incremental']])]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give --streams or --catalog, not both/);
  const airbyte = await run('connector', ['read', '--config', fx.config(), '--catalog', fx.catalog([['media', 'incremental']]), '--streams', 'media']);
  assert.equal(airbyte.code, 2);
  assert.match(airbyte.stderr, /--streams only go with --output/);
});

test('Singer --streams reads the named streams only, and refuses an unknown one', async () => {
  const r = await run('tap', ['--config', fx.config(), '--streams', 'users']);
  assert.equal(r.code, 0, r.stderr);
  const messages = jsonLines(r.stdout);
  assert.deepEqual([...new Set(messages.filter((m) => m.type === 'RECORD').map((m) => m.stream))], ['users']);
  assert.ok(messages.some((m) => m.type === 'STATE' && m.value.bookmarks.users));
  const unknown = await run('tap', ['--config', fx.config(), '--streams', 'usres']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /"usres", which this connector cannot read here\. The streams are: media, /);
  assert.equal(unknown.stdout, '');
});

test('--streams names are checked against the streams the run can read (one function), twice-named and cursorless-incremental refused', () => {
  const [media, users] = [streams.find((s) => s.name === 'media')!, streams.find((s) => s.name === 'users')!];
  const cursorless = { ...users, name: 'audit_log', cursorField: '' };
  assert.deepEqual(selectionsFromNames(parseStreamsFlag('media'), {}, only(media)).map((s) => [s.def.name, s.mode]), [['media', 'incremental']]);
  assert.throws(() => selectionsFromNames(parseStreamsFlag('users'), {}, only(media)), /"users", which this connector cannot read here\. The streams are: media\./);
  assert.throws(() => selectionsFromNames(parseStreamsFlag('media,media:full_refresh'), {}, only(media)), /"media" is named twice/);
  assert.throws(() => selectionsFromNames(parseStreamsFlag('audit_log:incremental'), {}, only(cursorless)), /"audit_log" has no cursor/);
  assert.deepEqual(selectionsFromNames(parseStreamsFlag('audit_log'), {}, only(cursorless)).map((s) => s.mode), ['full_refresh']);
  assert.throws(() => parseStreamsFlag('media,,users'), /no empty name/);
});

test('--streams takes a metadata profile stream: let through before any request, then checked against the server\'s own streams', async () => {
  const media = streams.find((s) => s.name === 'media')!;
  assert.deepEqual(selectionsFromNames(parseStreamsFlag('media,metadata_course_info'), {}).map((s) => s.def.name), ['media'], 'before any request: the profile name waits for the server');
  assert.throws(() => selectionsFromNames(parseStreamsFlag('metadata_course_info'), {}, only(media)), /"metadata_course_info", which this connector cannot read here\. The streams are: media\./);
  assert.throws(
    () => selectionsFromNames(parseStreamsFlag('media,caption_assets'), {}, { available: [media], unavailable: [{ name: 'caption_assets', reason: 'this Kaltura server has no caption plugin' }] }),
    /--streams names caption_assets, which this Kaltura server cannot serve \(this Kaltura server has no caption plugin\)\. Leave it out\./,
  );

  const dir = tempDir();
  const r = await run('connector', ['read', '--config', fx.config(), '--output', 'jsonl', '--output-dir', dir, '--streams', 'metadata_course_info']);
  assert.equal(r.code, 0, r.stderr);
  const [file, ...others] = readdirSync(dir);
  assert.deepEqual(others, [], 'one file');
  assert.match(file!, /^metadata_course_info-/);
  const rows = readFileSync(join(dir, file!), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(rows.length > 0 && rows.every((row) => typeof row.entryId === 'string'), 'the profile stream\'s records, keyed by entry');
  const wrong = await run('tap', ['--config', fx.config(), '--streams', 'metadata_no_such_profile']);
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.match(wrong.stderr, /"metadata_no_such_profile", which this connector cannot read here\. The streams are: media, .*metadata_course_info/);
});

test('a configured catalog listing a stream twice is refused as a config error (Airbyte read and cron), nothing read', async () => {
  const catalog = JSON.parse(readFileSync(fx.catalog([['media', 'incremental'], ['categories', 'full_refresh']]), 'utf8'));
  catalog.streams.push(catalog.streams[0]);
  const path = writeJson(tempDir(), 'twice.json', catalog);
  const airbyte = await runConnector(['read', '--config', fx.config(), '--catalog', path]);
  assert.equal(airbyte.code, 1);
  assert.equal(ofType(airbyte.messages, 'RECORD').length, 0);
  const trace = ofType(airbyte.messages, 'TRACE')[0]!;
  assert.equal(trace.trace.error.failure_type, 'config_error');
  assert.match(trace.trace.error.message, /The catalog lists "media" more than once/);

  const dir = tempDir();
  const cron = await run('connector', ['read', '--config', fx.config(), '--catalog', path, '--output', 'csv', '--output-dir', dir, '--state-file', join(dir, 'state.json')]);
  assert.equal(cron.code, 2, cron.stderr);
  assert.match(cron.stderr, /The catalog lists "media" more than once/);
  assert.doesNotMatch(cron.stderr, /EEXIST|\n\s+at /);
  assert.deepEqual(readdirSync(dir), []);
});

test('two runs into one --output-dir at once (an incremental read beside a full refresh of categories) each keep every file they wrote', async () => {
  const dir = tempDir();
  const config = fx.config();
  const [all, refresh] = await Promise.all([
    run('connector', ['read', '--config', config, '--output', 'csv', '--output-dir', dir, '--state-file', join(dir, 'incremental.json')]),
    run('connector', ['read', '--config', config, '--output', 'csv', '--output-dir', dir, '--streams', 'categories:full_refresh']),
  ]);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(refresh.code, 0, refresh.stderr);
  const files = readdirSync(dir).filter((n) => n.endsWith('.csv'));
  // Every stream is the fixed ones and one per metadata profile of the account.
  const everyStream = streams.length + fx.emulator.control.metadataProfiles().length;
  assert.equal(files.length, everyStream + 1, `each run's files: ${files.join(', ')}`);
  const categories = files.filter((n) => n.startsWith('categories-'));
  assert.equal(categories.length, 2, 'two categories files, one per run');
  for (const name of categories) assert.equal(csvRows(join(dir, name)), fx.emulator.control.truth('categories').length, `${name} is whole`);
  for (const [r, name] of [[all, categories.find((n) => all.stderr.includes(n))], [refresh, categories.find((n) => refresh.stderr.includes(n))]] as const) {
    assert.ok(name, `each run names its own file in its summary: ${r.stderr.split('\n').at(-2)}`);
  }
});
