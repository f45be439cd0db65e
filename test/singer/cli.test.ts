import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tempDir, writeJson } from '../helpers/cli.js';
import { commands, run } from './run.js';
import { createAjv } from '../../connector/util/ajv.js';
import { startFixture } from '../helpers/setup.js';

const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const tapBin = join(repoRoot, packageJson.bin['tap-kaltura']);

/** Runs the `tap-kaltura` bin as Meltano would, from another directory. */
const runTap = (args: string[]) => run('tap', args, { cwd: tempDir() });
const runConnector = (args: string[]) => run('connector', args);

const goodConfig = () => writeJson(tempDir(), 'config.json', { service_url: 'http://127.0.0.1:9', partner_id: 1, app_token_id: '0_abc', app_token: '0123456789abcdef0123456789abcdef' });

const singerCatalogSchema = {
  type: 'object',
  required: ['streams'],
  properties: {
    streams: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['tap_stream_id', 'stream', 'schema', 'metadata'],
        properties: {
          tap_stream_id: { type: 'string' },
          stream: { type: 'string' },
          schema: { type: 'object' },
          metadata: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['breadcrumb', 'metadata'],
              properties: {
                breadcrumb: { oneOf: [{ type: 'array', maxItems: 0 }, { type: 'array', minItems: 2, maxItems: 2, items: [{ const: 'properties' }, { type: 'string' }] }] },
                metadata: {
                  type: 'object',
                  properties: {
                    inclusion: { enum: ['available', 'automatic', 'unsupported'] },
                    'selected-by-default': { type: 'boolean' },
                    selected: { type: 'boolean' },
                    'table-key-properties': { type: 'array', items: { type: 'string' } },
                    'valid-replication-keys': { type: 'array', items: { type: 'string' } },
                    'forced-replication-method': { enum: ['FULL_TABLE', 'INCREMENTAL'] },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

/**
 * A plain `#!/usr/bin/env node`: no `env -S`, which BusyBox's env (Alpine) lacks. The bins cap the
 * heap themselves (connector/util/heapCaps.ts).
 */
const nodeShebang = /^#!\/usr\/bin\/env node\n/;

test('package.json ships a tap-kaltura bin that is an executable file', async () => {
  assert.equal(packageJson.bin['source-kaltura'], 'connector/index.js', 'the Airbyte entry stays');
  for (const bin of [tapBin, join(repoRoot, packageJson.bin['source-kaltura'])]) {
    accessSync(bin, constants.X_OK);
    assert.match(readFileSync(bin, 'utf8'), nodeShebang, `${bin} starts with a node shebang`);
  }
  // Run as a shell runs it (through its shebang), from elsewhere, the bin is the tap.
  const r = await run('tap', ['--version'], { cwd: tempDir() });
  assert.equal(tapBin, commands.tap[0], 'the tests run the bin package.json names');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), `tap-kaltura ${packageJson.version}`);
});

test('--about --format json describes the tap for Meltano: name, version, capabilities and the config schema', async () => {
  for (const r of [await runTap(['--about', '--format', 'json']), await runConnector(['--about', '--format', 'json'])]) {
    assert.equal(r.code, 0, r.stderr);
    const about = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(about).sort(), ['capabilities', 'description', 'name', 'settings', 'version']);
    assert.equal(about.name, 'tap-kaltura');
    assert.equal(about.version, packageJson.version);
    assert.deepEqual(about.capabilities, ['catalog', 'discover', 'state', 'about']);
    assert.deepEqual(about.settings.required, ['partner_id', 'app_token_id', 'app_token']);
    assert.equal(about.settings.properties.app_token.airbyte_secret, true);
  }
  const text = await runTap(['--about']);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /Capabilities: catalog, discover, state, about/);
  assert.match(text.stdout, /app_token \(string, required, secret\)/);
});

test('--version prints the version on stdout, for both commands', async () => {
  const tap = await runTap(['--version']);
  assert.equal(tap.code, 0);
  assert.equal(tap.stdout.trim(), `tap-kaltura ${packageJson.version}`);
  const connector = await runConnector(['--version']);
  assert.equal(connector.stdout.trim(), `source-kaltura ${packageJson.version}`);
});

test('--discover prints a Singer catalog (one JSON document on stdout, nothing else): the fixed streams, then one per metadata profile', async () => {
  // Discover asks the server which streams it serves (plugins, metadata profiles).
  const fx = await startFixture({ entries: 20, categories: 5, users: 5 });
  const config = fx.config();
  const discovered = await runTap(['--config', config, '--discover']);
  assert.equal(discovered.code, 0, discovered.stderr);
  const catalog: any = JSON.parse(discovered.stdout);
  const validate = createAjv().compile(singerCatalogSchema);
  assert.ok(validate(catalog) as boolean, JSON.stringify(validate.errors));
  // The streams, the keys their tables are keyed on and the replication keys users configure.
  const described = catalog.streams.map((s: { tap_stream_id: string; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }) => {
    const md = s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
    return [s.tap_stream_id, md['table-key-properties'], md['valid-replication-keys']];
  });
  assert.deepEqual(described.slice(0, 8), [
    ['media', ['id'], ['updatedAt']],
    ['categories', ['id'], ['updatedAt']],
    ['category_entries', ['categoryId', 'entryId'], ['createdAt']],
    ['metadata', ['id'], ['updatedAt']],
    ['metadata_profiles', ['id'], ['updatedAt']],
    ['users', ['id'], ['updatedAt']],
    ['flavor_assets', ['id'], ['updatedAt']],
    ['caption_assets', ['id'], ['updatedAt']],
  ]);
  assert.deepEqual(described[8], ['metadata_course_info', ['entryId'], ['updatedAt']], 'profile streams follow, keyed on the object id');
  const same = await runConnector(['--discover', '--config', config]);
  await fx.close();
  assert.deepEqual(JSON.parse(same.stdout), catalog, 'node connector with Singer flags speaks Singer too');
});

test('bad input exits 2 with the reason on stderr and nothing on stdout', async () => {
  const dir = tempDir();
  const badConfig = writeJson(dir, 'bad.json', { partner_id: 'abc', app_token_id: '0_abc', app_token: 'deadbeefdeadbeefdeadbeef' });
  const discover = await runTap(['--config', badConfig, '--discover']);
  assert.equal(discover.code, 2);
  assert.equal(discover.stdout, '');
  assert.match(discover.stderr, /partner_id: must be integer/);
  assert.doesNotMatch(discover.stderr, /deadbeefdeadbeefdeadbeef/, 'the token never reaches the log');

  const badState = writeJson(dir, 'state.json', { bookmarks: { media: { updatedAt: 'yesterday', state_version: 1 } } });
  const sync = await runTap(['--config', goodConfig(), '--state', badState]);
  assert.equal(sync.code, 2);
  assert.equal(sync.stdout, '');
  assert.match(sync.stderr, /saved state of stream media has no valid "updatedAt" time/);

  const catalog = writeJson(dir, 'catalog.json', { streams: [{ tap_stream_id: 'playlists', schema: {}, metadata: [{ breadcrumb: [], metadata: { selected: true } }] }] });
  const properties = await runTap(['--config', goodConfig(), '--properties', catalog]);
  assert.equal(properties.code, 2, 'the older --properties flag reads the catalog too');
  assert.match(properties.stderr, /"playlists", which this connector does not offer/);

  const usage = await runTap(['--discover']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--config/);
  const stray = await runTap(['--format', 'json', '--config', goodConfig()]);
  assert.equal(stray.code, 2);
});

test('node connector --help shows the Airbyte commands, the cron read and the Singer flags', async () => {
  const help = await runConnector(['--help']);
  assert.equal(help.code, 0);
  for (const text of ['spec', 'check', 'discover', 'read', '--output csv|jsonl', '--state-file', '--discover', '--about']) assert.ok(help.stderr.includes(text), `help mentions ${text}`);
  const tap = await runTap(['--help']);
  assert.equal(tap.code, 0);
  assert.match(tap.stderr, /--catalog <file>/);
  assert.match(tap.stderr, /--properties <file>/);
});
