// The npm package as a user gets it: `npm pack`, then `npm install` of the tarball with production
// dependencies only into an empty folder, then `spec` and a small `read` from there. Catches a file
// the runtime needs but package.json "files" leaves out (the Docker image ships the same files).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { assertSameRecords, parseLines, ofType, repoRoot, runConnector, tempDir } from '../helpers/cli.js';
import { assertValidMessages } from '../helpers/airbyteSchema.js';
import { startFixture, type Fixture } from '../helpers/setup.js';

const execFileP = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// Under `npm test` npm hands its own settings down in npm_config_* variables; the install must not
// inherit the repository's location from them.
const npmEnv = { ...process.env };
delete npmEnv.npm_config_local_prefix;
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const streams = readdirSync(join(repoRoot, 'schemas')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();

let packed: string[] = [];
let installDir = '';
let bin = '';
let fx: Fixture;

/** Runs an installed command; its stdout is parsed as one JSON message a line unless `json` is false. */
function run(command: string, args: string[], cwd: string, json = true): Promise<{ code: number | null; stdout: string; stderr: string; messages: Array<Record<string, any>> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      resolve({ code, stdout, stderr: Buffer.concat(err).toString('utf8'), messages: json ? parseLines(stdout) : [] });
    });
  });
}

before(async () => {
  const packDir = tempDir('source-kaltura-pack-');
  // --ignore-scripts: `prepare` would rebuild; the suite has just built dist/.
  const { stdout } = await execFileP(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], { cwd: repoRoot, env: npmEnv, maxBuffer: 16 * 1024 * 1024 });
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packed = info!.files.map((f) => f.path).sort();

  installDir = tempDir('source-kaltura-install-');
  writeFileSync(join(installDir, 'package.json'), JSON.stringify({ name: 'empty', private: true }));
  // As a user installs it: dependency ranges from package.json (a package carries no lockfile), no dev dependencies.
  await execFileP(npm, ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', join(packDir, info!.filename)], { cwd: installDir, env: npmEnv, maxBuffer: 16 * 1024 * 1024 });
  bin = join(installDir, 'node_modules', '.bin', pkg.name);
  fx = await startFixture({ entries: 400, categories: 12, seed: 31 });
});

after(async () => {
  await fx?.close();
});

test('the package holds the runtime and nothing else: no tests, fixtures, scripts, sources or source maps', () => {
  for (const needed of ['package.json', ...Object.values(pkg.bin).map((b) => b.replace(/^\.\//, '')), 'dist/connector/main.js', 'spec/spec.json', 'connector/protocol/airbyte/schemas/airbyte-message.schema.json', 'connector/protocol/airbyte/schemas/configured-catalog.schema.json', 'connector/protocol/airbyte/schemas/state-input.schema.json', 'connector/protocol/singer/schemas/catalog.schema.json', 'connector/protocol/singer/schemas/state.schema.json', 'connector/cron/schemas/state-file.schema.json', ...streams.map((s) => `schemas/${s}.json`)]) {
    assert.ok(packed.includes(needed), `the package has ${needed}`);
  }
  const stray = packed.filter((p) => /^(dist\/(test|fixtures|scripts)\/|test\/|fixtures\/|scripts\/)/.test(p) || p.endsWith('.ts') || p.endsWith('.map'));
  assert.deepEqual(stray, []);
});

test('installed with production dependencies only, into an empty folder', () => {
  assert.ok(existsSync(bin), `npm linked the ${pkg.name} command`);
  const modules = readdirSync(join(installDir, 'node_modules'));
  for (const dep of Object.keys(pkg.dependencies)) assert.ok(modules.includes(dep.split('/')[0]!), `dependency ${dep} installed`);
  for (const dev of Object.keys(pkg.devDependencies)) assert.ok(!existsSync(join(installDir, 'node_modules', dev)), `no devDependency ${dev}`);
});

test('every command the package declares is installed and starts', async () => {
  for (const command of Object.keys(pkg.bin)) {
    const result = await run(join(installDir, 'node_modules', '.bin', command), ['--version'], tempDir(), false);
    assert.equal(result.code, 0, `${command} --version: ${result.stderr}`);
    assert.ok(result.stdout.includes(pkg.version), `${command} --version prints ${pkg.version}: ${result.stdout}`);
  }
});

test('the installed tap-kaltura prints its version and what it is, and discovers', async () => {
  const tap = join(installDir, 'node_modules', '.bin', 'tap-kaltura');
  const version = await run(tap, ['--version'], tempDir(), false);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout, `tap-kaltura ${pkg.version}\n`);
  const about = await run(tap, ['--about', '--format', 'json'], tempDir(), false);
  assert.equal(about.code, 0, about.stderr);
  const info = JSON.parse(about.stdout) as { name: string; version: string; capabilities: string[]; settings: unknown };
  assert.deepEqual([info.name, info.version, info.capabilities], ['tap-kaltura', pkg.version, ['catalog', 'discover', 'state', 'about']]);
  assert.deepEqual(info.settings, JSON.parse(readFileSync(join(repoRoot, 'spec', 'spec.json'), 'utf8')).connectionSpecification);
  const discovered = await run(tap, ['--config', fx.config(), '--discover'], tempDir(), false);
  assert.equal(discovered.code, 0, discovered.stderr);
  // The fixed streams (one schema file each), then one per metadata profile of the account (their schema says which).
  const offered = (JSON.parse(discovered.stdout) as { streams: Array<{ tap_stream_id: string; schema: { $comment?: string } }> }).streams;
  assert.ok(offered.some((s) => s.schema.$comment?.startsWith('kaltura metadata profile')), 'profile streams are offered');
  assert.deepEqual(offered.filter((s) => !s.schema.$comment?.startsWith('kaltura metadata profile')).map((s) => s.tap_stream_id).sort(), streams);
});

test('the installed command prints the spec', async () => {
  const result = await run(bin, ['spec'], tempDir());
  assert.equal(result.code, 0, result.stderr);
  assertValidMessages(result.messages);
  assert.deepEqual(ofType(result.messages, 'SPEC')[0]?.spec, JSON.parse(readFileSync(join(repoRoot, 'spec', 'spec.json'), 'utf8')));
});

test('the installed command reads the same records as the repository\'s connector', async () => {
  const config = fx.config();
  const catalog = fx.catalog(streams.map((s) => [s, 'full_refresh'] as [string, 'full_refresh']));
  const installed = await run(bin, ['read', '--config', config, '--catalog', catalog], tempDir());
  assert.equal(installed.code, 0, installed.stderr);
  assert.ok(assertValidMessages(installed.messages) > 0);
  const repo = await runConnector(['read', '--config', config, '--catalog', catalog]);
  assert.equal(repo.code, 0, repo.stderr);
  assertSameRecords(streams, installed.messages, repo.messages, 'same records');
});
