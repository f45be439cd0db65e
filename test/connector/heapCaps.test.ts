// Plain `node connector ...` puts itself under the heap caps by starting itself again with them
// (connector/util/heapCaps.ts). To the user it must be the same program: the same output and exit
// code, signals reaching the code that handles them, a SIGKILL ending the work, and their own
// NODE_OPTIONS respected. Memory itself is measured in `npm run bench`, not here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { tempDir } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';
import { HEAP_FLAGS, needsHeapCaps } from '../../connector/util/heapCaps.js';

// An entry shaped like connector/index.js, whose "connector" reports what it runs under and then
// does what the test asks: exit with a code, wait for a signal (handled or not), echo stdin.
const entry = join(tempDir('source-kaltura-heapcaps-'), 'entry.mjs');
writeFileSync(
  entry,
  `import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { applyHeapCaps } from ${JSON.stringify(pathToFileURL(join(repoRoot, 'dist', 'connector', 'util', 'heapCaps.js')).href)};
if (!applyHeapCaps(fileURLToPath(import.meta.url))) {
  const [mode, arg] = process.argv.slice(2);
  const report = { pid: process.pid, execArgv: process.execArgv, heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20) };
  if (mode === 'exit') process.exit(Number(arg));
  if (mode === 'report') console.log(JSON.stringify(report));
  if (mode === 'echo') process.stdin.pipe(process.stdout);
  if (mode === 'handle') process.on(arg, () => { console.log('handled ' + arg); process.exit(42); });
  if (mode === 'handle' || mode === 'wait') {
    setInterval(() => {}, 1000);
    console.log(JSON.stringify(report));
  }
}
`,
);

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the entry; `onFirstLine` may act once it has printed its first line (it is running). */
function start(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string; onFirstLine?: (line: string, pid: number) => void } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { env: options.env ?? { ...process.env, NODE_OPTIONS: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    if (options.onFirstLine) createInterface({ input: child.stdout }).once('line', (line) => options.onFirstLine!(line, child.pid!));
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.stdin.end(options.stdin ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    // 'close' waits for stdout and stderr, which the relaunched child shares: it has ended too.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

test('needsHeapCaps: only when neither NODE_OPTIONS nor a heap flag of node says otherwise', () => {
  assert.equal(needsHeapCaps({}, []), true);
  assert.equal(needsHeapCaps({ NODE_OPTIONS: '' }, ['--enable-source-maps']), true);
  assert.equal(needsHeapCaps({ NODE_OPTIONS: '--enable-source-maps' }, []), false, 'the user\'s NODE_OPTIONS, whatever they hold');
  assert.equal(needsHeapCaps({}, ['--max-old-space-size=512']), false);
  assert.equal(needsHeapCaps({}, ['--max-semi-space-size=4']), false);
  assert.equal(needsHeapCaps({}, [...HEAP_FLAGS]), false, 'the relaunched process runs the connector itself');
});

test('plain node: the work runs in a second process, started with the heap caps, and prints only its own output', async () => {
  let parent = 0;
  const run = await start(['report'], { onFirstLine: (_, pid) => (parent = pid) });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '', 'nothing extra on stderr');
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'nothing extra on stdout');
  const report = JSON.parse(lines[0]!);
  assert.notEqual(report.pid, parent, 'a second process did the work');
  for (const flag of HEAP_FLAGS) assert.ok(report.execArgv.includes(flag), `${flag} in ${report.execArgv.join(' ')}`);
  assert.equal(report.heapLimitMb < 400, true, `the heap limit follows --max-old-space-size: ${report.heapLimitMb} MB`);
});

test('with NODE_OPTIONS set, the user\'s settings are kept and nothing is started again', async () => {
  let parent = 0;
  const run = await start(['report'], { env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=600' }, onFirstLine: (_, pid) => (parent = pid) });
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assert.equal(report.pid, parent, 'the process started is the one that works');
  assert.ok(!report.execArgv.some((a: string) => HEAP_FLAGS.includes(a as (typeof HEAP_FLAGS)[number])), 'no flag of ours');
  assert.ok(report.heapLimitMb >= 600, `the user's heap limit: ${report.heapLimitMb} MB`);
});

test('exit codes pass through, and stdin reaches the connector', async () => {
  for (const code of [0, 1, 2, 3]) assert.equal((await start(['exit', String(code)])).code, code);
  const echo = await start(['echo'], { stdin: '{"type":"STATE"}\n' });
  assert.equal(echo.code, 0);
  assert.equal(echo.stdout, '{"type":"STATE"}\n');
});

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(`${signal} sent to the process started reaches the connector's own handler, and its exit code comes back`, async () => {
    const run = await start(['handle', signal], { onFirstLine: (_, pid) => process.kill(pid, signal) });
    assert.equal(run.signal, null);
    assert.equal(run.code, 42, run.stderr);
    assert.match(run.stdout, new RegExp(`handled ${signal}`));
  });
}

test('a signal the connector does not handle ends both processes, and the one started dies of that signal', async () => {
  const run = await start(['wait'], { onFirstLine: (_, pid) => process.kill(pid, 'SIGTERM') });
  assert.equal(run.signal, 'SIGTERM');
});

test('SIGKILL of the process started (which cannot pass it on) ends the connector too', async () => {
  let worker = 0;
  const run = await start(['wait'], {
    onFirstLine: (line, pid) => {
      worker = JSON.parse(line).pid;
      process.kill(pid, 'SIGKILL');
    },
  });
  assert.equal(run.signal, 'SIGKILL');
  assert.notEqual(worker, 0);
  // 'close' came only once the worker had closed the shared stdout; its process is reaped by
  // init soon after (bounded wait, not a timing assertion).
  let gone = false;
  for (let i = 0; i < 250 && !gone; i++) {
    try {
      process.kill(worker, 0);
      await new Promise((r) => setTimeout(r, 20));
    } catch {
      gone = true;
    }
  }
  assert.ok(gone, `the worker ${worker} is gone`);
});

test('node connector spec prints the same with and without the relaunch', async () => {
  const spec = (env: NodeJS.ProcessEnv) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [join(repoRoot, 'connector'), 'spec'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
    });
  assert.equal(await spec({ ...process.env, NODE_OPTIONS: '' }), await spec({ ...process.env, NODE_OPTIONS: HEAP_FLAGS.join(' ') }));
});
