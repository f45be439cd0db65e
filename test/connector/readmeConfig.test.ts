// The README's example config.json is what a newcomer copies first: it must pass `check` against
// the emulator the README tells them to start (`npm run --silent emulator -- --port 8080`, seed 1
// by default), with nothing changed but the port this test's emulator got.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runConnector, tempDir, writeJson } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';
import { startEmulator, type Emulator } from '../../fixtures/emulator/index.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** The first ```json block of the README that holds an AppToken: the example config. */
function exampleConfig(): Record<string, unknown> {
  const block = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('"app_token_id"'));
  assert.ok(block, 'README.md has a ```json config block');
  return JSON.parse(block) as Record<string, unknown>;
}

let emulator: Emulator;
before(async () => {
  // The emulator CLI's defaults (seed 1), small: the tokens depend on the seed only.
  emulator = await startEmulator({ entries: 200, categories: 10, seed: 1 });
});
after(() => emulator.close());

test('the README\'s example config is accepted by check against the emulator it describes', async () => {
  const config = exampleConfig();
  const readmeUrl = new URL(String(config.service_url));
  assert.equal(readmeUrl.hostname, '127.0.0.1', 'the example points at the emulator on loopback');
  assert.match(readme, new RegExp(`npm run --silent emulator -- --port ${readmeUrl.port}\\b`), 'on the port the README starts it on');
  const dir = tempDir();
  const path = writeJson(dir, 'config.json', { ...config, service_url: emulator.url });
  const run = await runConnector(['check', '--config', path]);
  assert.equal(run.code, 0, run.stderr);
  const status = run.messages.find((m) => m.type === 'CONNECTION_STATUS')?.connectionStatus;
  assert.equal(status?.status, 'SUCCEEDED', JSON.stringify(status));
});

test('the README\'s token table names tokens the emulator has', () => {
  const section = readme.slice(readme.indexOf('## Try it against the emulator'), readme.indexOf('\n## ', readme.indexOf('## Try it against the emulator') + 3));
  // The first cell of each row under the header and its |---| line.
  const rows = section.split('\n').filter((l) => l.startsWith('| ')).slice(2);
  const keys = rows.flatMap((row) => [...row.split(' | ')[0]!.matchAll(/`([^`]+)`/g)].map((k) => k[1]!));
  assert.ok(keys.length >= 5, `the section has a token table: ${keys.join(', ')}`);
  for (const key of keys) assert.ok(emulator.tokens[key], `the emulator has the token "${key}"`);
});
