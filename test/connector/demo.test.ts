import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';
import { streams } from '../../connector/streams/index.js';

// `npm run demo` (scripts/demo.ts) on a tiny account: one file and one summary line per stream,
// empty streams included, and a clear stop when check fails.
function demo(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'scripts', 'demo.js')], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('the demo writes a file and a summary line for every stream, an empty one for a stream without records', async () => {
  const out = tempDir('source-kaltura-demo-');
  // Three entries: some streams (captions) have no records at all.
  const run = await demo({ DEMO_ENTRIES: '3', DEMO_CATEGORIES: '5', DEMO_OUT_DIR: out });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /check: SUCCEEDED/);
  assert.match(run.stdout, /read: exit code 0 in/);
  const counts = new Map<string, number>();
  for (const [, name, n, file] of run.stdout.matchAll(/^ {2}(\S+) +(\d+) records -> (\S+)$/gm)) {
    assert.equal(file, join(out, `${name}.jsonl`));
    counts.set(name!, Number(n));
  }
  const names = [...counts.keys()];
  assert.deepEqual(names.slice(0, streams.length), streams.map((s) => s.name), 'one summary line per stream, in catalog order');
  assert.ok(names.length > streams.length && names.slice(streams.length).every((n) => n.startsWith('metadata_')), 'then one per metadata profile');
  for (const [name, n] of counts) {
    const path = join(out, `${name}.jsonl`);
    assert.ok(existsSync(path), `${name}.jsonl exists`);
    const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
    assert.equal(lines.length, n, `${name}.jsonl holds the ${n} records the summary says`);
    for (const line of lines) assert.equal(typeof JSON.parse(line), 'object');
  }
  assert.ok([...counts.values()].some((n) => n === 0), `a stream has no records: ${JSON.stringify([...counts])}`);
  assert.ok([...counts.values()].some((n) => n > 0), 'and others have some');
  assert.equal(counts.get('media'), 3);
  const account = /^The account holds (\d+) entries: (\d+) media /m.exec(run.stdout);
  assert.ok(account, `the demo says what the account holds before the counts: ${run.stdout}`);
  assert.equal(Number(account[2]), counts.get('media'), 'the media count it announces is the media stream\'s');
});

test('a failed check stops the demo with the reason and a non-zero exit, before any read', async () => {
  const out = tempDir('source-kaltura-demo-');
  const run = await demo({ DEMO_ENTRIES: '3', DEMO_CATEGORIES: '5', DEMO_OUT_DIR: out, DEMO_TOKEN: 'disabled' });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stderr, /demo stopped: check failed, so nothing was read\. FAILED: .*APP_TOKEN_NOT_ACTIVE/);
  assert.doesNotMatch(run.stdout + run.stderr, /TypeError|at .*demo\.js/, 'no crash');
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.jsonl')), [], 'no stream file');
});
