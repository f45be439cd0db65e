// Runs the connector's image the way Airbyte does: its ENTRYPOINT with `spec`, `check`, `discover`
// and `read`, config and catalog files mounted under /airbyte, against the Kaltura emulator on the
// host's loopback. Run by scripts/docker/test.sh (npm run test:docker), which builds the image first
// and names it in IMAGE; not part of the main suite (it lives outside test/).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { startFixture, type Fixture } from '../../test/helpers/setup.js';
import { assertSameRecords, parseLines, repoRoot, runConnector, ofType } from '../../test/helpers/cli.js';
import { assertValidMessages, airbyteSchemaSource } from '../../test/helpers/airbyteSchema.js';

const image = process.env.IMAGE;
if (!image) throw new Error('IMAGE must name the image to test (scripts/docker/test.sh sets it)');
const storageDriver = process.env.STORAGE_DRIVER ?? 'vfs';
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const streams = readdirSync(join(repoRoot, 'schemas')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  messages: Array<Record<string, any>>;
  ms: number;
}

function buildah(args: string[], timeoutMs = 180_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('buildah', ['--storage-driver', storageDriver, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), messages: [], ms: Date.now() - started });
    });
  });
}

let config: { Entrypoint?: string[]; Env?: string[]; User?: string; WorkingDir?: string; Labels?: Record<string, string> };
let container = '';
let fx: Fixture;
let entrypoint: string[];

/** Where the fixture's files appear inside the container. */
const mountPoint = '/airbyte/input';
const inContainer = (hostPath: string) => `${mountPoint}/${hostPath.slice(fx.dir.length + 1)}`;

/**
 * Runs a command in the container as the image's user, on the host's network (so 127.0.0.1 is the
 * host's loopback, where the emulator listens), with the fixture's folder mounted read-only.
 */
async function runInImage(command: string[], options: { workdir?: string } = {}): Promise<Run> {
  const args = ['run', '--isolation', 'chroot', '--network', 'host', '--volume', `${fx.dir}:${mountPoint}:ro`];
  if (options.workdir) args.push('--workingdir', options.workdir);
  const run = await buildah([...args, container, '--', ...command]);
  return { ...run, messages: parseLines(run.stdout) };
}

/** The image's ENTRYPOINT with the connector's arguments, exactly as a platform would start it. */
const connector = (args: string[], options: { workdir?: string } = {}) => runInImage([...entrypoint, ...args], options);

before(async () => {
  const inspect = await buildah(['inspect', '--type', 'image', image]);
  assert.equal(inspect.code, 0, `buildah inspect ${image}: ${inspect.stderr}`);
  config = JSON.parse(inspect.stdout).OCIv1.config;
  entrypoint = config.Entrypoint ?? [];
  const from = await buildah(['from', '--pull=never', '--name', `source-kaltura-image-test-${process.pid}`, image]);
  assert.equal(from.code, 0, `buildah from: ${from.stderr}`);
  container = from.stdout.trim().split('\n').pop()!;
  fx = await startFixture({ entries: 600, categories: 15, seed: 23 });
  // The image's user (uid 1000) reads the mounted files: the temp folder is 0700 by default.
  chmodSync(fx.dir, 0o755);
  process.stderr.write(`# testing ${image} (container ${container}); messages validated against ${airbyteSchemaSource}\n`);
});

after(async () => {
  if (container) await buildah(['rm', container]);
  await fx?.close();
});

test('the image follows Airbyte conventions: absolute ENTRYPOINT equal to AIRBYTE_ENTRYPOINT, user airbyte, labels from package.json', () => {
  assert.ok(entrypoint.length >= 2, `ENTRYPOINT ${JSON.stringify(entrypoint)}`);
  for (const part of entrypoint) assert.ok(part.startsWith('/'), `ENTRYPOINT uses absolute paths: ${part}`);
  const env = Object.fromEntries((config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  assert.equal(env.AIRBYTE_ENTRYPOINT, entrypoint.join(' '));
  assert.equal(config.User, 'airbyte');
  assert.equal(config.Labels?.['io.airbyte.name'], `airbyte/${pkg.name}`);
  assert.equal(config.Labels?.['io.airbyte.version'], pkg.version);
  const metadata = yaml.load(readFileSync(join(repoRoot, 'metadata.yaml'), 'utf8')) as { data: Record<string, any> };
  assert.equal(metadata.data.dockerRepository, config.Labels?.['io.airbyte.name']);
  assert.equal(metadata.data.dockerImageTag, config.Labels?.['io.airbyte.version']);
});

test('it runs as the non-root airbyte user with a writable /airbyte, read-only code, and only production dependencies', async () => {
  const probeFile = fx.write('probe.json', {});
  const probe = `
    const fs = require('fs'), os = require('os');
    const writable = (p) => { try { fs.accessSync(p, fs.constants.W_OK); return true; } catch { return false; } };
    const code = '/airbyte/integration_code';
    console.log(JSON.stringify({
      uid: process.getuid(), gid: process.getgid(), user: os.userInfo().username, cwd: process.cwd(),
      airbyteWritable: writable('/airbyte'), codeWritable: writable(code) || writable(code + '/dist/connector/main.js'),
      inputReadable: fs.readFileSync('${inContainer(probeFile)}', 'utf8') === '{}',
      top: fs.readdirSync(code).sort(), dist: fs.readdirSync(code + '/dist').sort(),
      // Installed packages by name, scoped ones as @scope/name.
      modules: fs.readdirSync(code + '/node_modules').flatMap((d) => d.startsWith('@') ? fs.readdirSync(code + '/node_modules/' + d).map((n) => d + '/' + n) : [d]),
    }));`;
  const run = await runInImage(['/usr/local/bin/node', '-e', probe]);
  assert.equal(run.code, 0, run.stderr);
  const seen = JSON.parse(run.stdout);
  assert.notEqual(seen.uid, 0, 'not root');
  assert.equal(seen.uid, 1000);
  assert.equal(seen.gid, 1000);
  assert.equal(seen.user, 'airbyte');
  assert.equal(seen.cwd, '/airbyte');
  assert.equal(seen.airbyteWritable, true, '/airbyte is writable');
  assert.equal(seen.codeWritable, false, 'the connector cannot change its own code');
  assert.equal(seen.inputReadable, true, 'the mounted config folder is readable');
  assert.deepEqual(seen.dist, ['connector'], 'only the connector is compiled into the image, no tests, fixtures or scripts');
  assert.ok(Object.keys(pkg.dependencies).every((dep) => seen.modules.includes(dep)), `the production dependencies are installed (${seen.modules.join(', ')})`);
  const devDependencies = Object.keys(pkg.devDependencies);
  assert.ok(devDependencies.length > 0);
  for (const dev of devDependencies) assert.ok(!seen.modules.includes(dev), `no devDependency ${dev}`);
  for (const absent of ['test', 'fixtures', 'scripts', 'src']) assert.ok(!seen.top.includes(absent), `no ${absent}/ in the image`);
});

test('spec: one valid SPEC message, the package\'s own spec', async () => {
  const run = await connector(['spec']);
  assert.equal(run.code, 0, run.stderr);
  assertValidMessages(run.messages);
  const [spec] = ofType(run.messages, 'SPEC');
  assert.ok(spec, 'a SPEC message');
  assert.deepEqual(spec.spec, JSON.parse(readFileSync(join(repoRoot, 'spec', 'spec.json'), 'utf8')));
  process.stderr.write(`# spec in ${run.ms} ms\n`);
});

test('check: SUCCEEDED with the emulator\'s token, FAILED (exit 0) with a wrong one', async () => {
  const good = await connector(['check', '--config', inContainer(fx.config())]);
  assert.equal(good.code, 0, good.stderr);
  assertValidMessages(good.messages);
  assert.equal(ofType(good.messages, 'CONNECTION_STATUS')[0]?.connectionStatus.status, 'SUCCEEDED', good.stdout);

  const bad = await connector(['check', '--config', inContainer(fx.config('admin', { app_token: '0'.repeat(32) }))]);
  assert.equal(bad.code, 0, bad.stderr);
  assertValidMessages(bad.messages);
  assert.equal(ofType(bad.messages, 'CONNECTION_STATUS')[0]?.connectionStatus.status, 'FAILED', bad.stdout);
  process.stderr.write(`# check in ${good.ms} ms\n`);
});

test('discover: a valid catalog of every stream', async () => {
  const run = await connector(['discover', '--config', inContainer(fx.config())]);
  assert.equal(run.code, 0, run.stderr);
  assertValidMessages(run.messages);
  const [catalog] = ofType(run.messages, 'CATALOG');
  // The fixed streams, then one per metadata profile of the emulated account.
  const names: string[] = catalog?.catalog.streams.map((s: { name: string; json_schema: { $comment?: string } }) => s.name) ?? [];
  const profiles = catalog?.catalog.streams.filter((s: { json_schema: { $comment?: string } }) => s.json_schema.$comment?.startsWith('kaltura metadata profile')).map((s: { name: string }) => s.name) ?? [];
  assert.ok(profiles.length > 0, 'profile streams are offered');
  assert.deepEqual(names.filter((n) => !profiles.includes(n)).sort(), streams);
});

test('read from another working directory: valid messages, the same records as the connector run outside the image', async () => {
  const configPath = fx.config();
  // media incremental (records, then its state), every other stream full refresh
  const catalogPath = fx.catalog(streams.map((s) => [s, s === 'media' ? 'incremental' : 'full_refresh'] as [string, 'incremental' | 'full_refresh']));
  const run = await connector(['read', '--config', inContainer(configPath), '--catalog', inContainer(catalogPath)], { workdir: '/tmp' });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(assertValidMessages(run.messages) > 0);
  const host = await runConnector(['read', '--config', configPath, '--catalog', catalogPath]);
  assert.equal(host.code, 0, host.stderr);
  assertSameRecords(streams, run.messages, host.messages, 'same records in and out of the image');
  assert.ok(ofType(run.messages, 'STATE').some((m) => m.state.stream?.stream_descriptor.name === 'media'), 'the incremental stream\'s state is emitted');
  process.stderr.write(`# read of ${ofType(run.messages, 'RECORD').length} records in ${run.ms} ms\n`);
});
