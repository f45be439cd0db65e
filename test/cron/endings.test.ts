// Normal trouble is not a defect: a reader that closes stdout or stderr, a file nested 200,000
// levels deep, an absurd progress interval, a huge state file. Each ends with its own plain
// message (or, for a closed output, quietly) and exit code, and leaves no temporary file or lock.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tempDir } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { run } from '../singer/run.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 1_500, categories: 40, seed: 29 });
});
after(() => fx.close());

const noDefect = /defect|\n\s+at |Maximum call stack|TimeoutOverflowWarning/;

/**
 * Runs the connector and closes the pipe of `which` once `lines` lines came through it, as
 * `| head -n` does; resolves when the connector has exited.
 */
function runUntilClosed(args: string[], which: 'stdout' | 'stderr', lines: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; seen: string; other: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'connector'), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const watched = child[which];
    const other = which === 'stdout' ? child.stderr : child.stdout;
    let seen = '';
    let rest = '';
    watched.on('data', (b: Buffer) => {
      seen += b.toString();
      if (seen.split('\n').length > lines) {
        seen = seen.split('\n').slice(0, lines).join('\n');
        watched.destroy();
      }
    });
    other.on('data', (b: Buffer) => (rest += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, seen, other: rest });
    });
  });
}

test('`read ... | head -2` (Airbyte and Singer): the run ends quietly with exit 141, no stack trace, no "defect"', async () => {
  fx.emulator.control.setFaults({ latencyMs: 30, onlyServices: ['media.list'] });
  try {
    const airbyte = await runUntilClosed(['read', '--config', fx.config('admin', { page_size: 50 }), '--catalog', fx.catalog([['media', 'incremental']])], 'stdout', 2);
    assert.equal(airbyte.code, 141, airbyte.other);
    assert.equal(airbyte.seen.split('\n').length, 2);
    assert.doesNotMatch(airbyte.other, noDefect);
    assert.equal(airbyte.other, '', 'nothing on stderr: the reader chose to stop');

    const singer = await runUntilClosed(['--config', fx.config('admin', { page_size: 50 }), '--streams', 'media'], 'stdout', 2);
    assert.equal(singer.code, 141, singer.other);
    assert.doesNotMatch(singer.other, noDefect);
  } finally {
    fx.emulator.control.clearFaults();
  }
});

test('a cron read whose stderr is closed (`2>&1 | head -1`): exit 141, its temporary files and the lock removed, the state file untouched', async () => {
  const dir = tempDir();
  const statePath = join(dir, 'state.json');
  const previous = `${JSON.stringify({ version: 1, streams: { media: { updatedAt: '2000-01-01T00:00:00Z', state_version: 1 } } })}\n`;
  writeFileSync(statePath, previous);
  fx.emulator.control.setFaults({ latencyMs: 30, onlyServices: ['media.list'] });
  let r;
  try {
    r = await runUntilClosed(['read', '--config', fx.config('admin', { page_size: 50 }), '--output', 'csv', '--output-dir', dir, '--state-file', statePath, '--streams', 'media', '--progress-interval', '0'], 'stderr', 1);
  } finally {
    fx.emulator.control.clearFaults();
  }
  assert.equal(r.code, 141, r.seen);
  assert.deepEqual(readdirSync(dir), ['state.json'], 'no data file, temporary file or lock left');
  assert.equal(readFileSync(statePath, 'utf8'), previous);
});

test('a config, catalog or state nested 200,000 levels deep is refused plainly, exit 2', async () => {
  const dir = tempDir();
  const deep = join(dir, 'deep.json');
  writeFileSync(deep, `${'['.repeat(200_000)}${']'.repeat(200_000)}`);
  const out = join(dir, 'out');
  const cases: Array<[string, string[], string]> = [
    ['config', ['read', '--config', deep, '--output', 'csv', '--output-dir', out], 'config'],
    ['cron state', ['read', '--config', fx.config(), '--output', 'csv', '--output-dir', out, '--state-file', deep], 'state'],
    ['catalog', ['read', '--config', fx.config(), '--output', 'csv', '--output-dir', out, '--catalog', deep], 'catalog'],
    ['Singer state', ['--config', fx.config(), '--state', deep], 'state'],
  ];
  for (const [what, args, word] of cases) {
    const r = await run('connector', args);
    assert.equal(r.code, 2, `${what}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`The ${word} file ${deep} nests arrays or objects more than 1000 levels deep`), what);
    assert.doesNotMatch(r.stderr, noDefect, what);
    assert.equal(r.stdout, '');
  }
  assert.equal(readFileSync(deep, 'utf8').length, 400_000, 'the state file is left as it was');
  const airbyte = await run('connector', ['read', '--config', fx.config(), '--catalog', fx.catalog([['media', 'incremental']]), '--state', deep]);
  assert.equal(airbyte.code, 1);
  assert.match(airbyte.stdout, /"failure_type":"config_error"/);
  assert.match(airbyte.stdout, /nests arrays or objects more than 1000 levels deep/);
});

test('--progress-interval outside 0..86400 seconds is refused; a huge state is quoted in a log line only in part', async () => {
  const dir = tempDir();
  for (const value of ['1e308', '-1', 'soon', '86401']) {
    const r = await run('connector', ['read', '--config', fx.config(), '--output', 'csv', '--output-dir', dir, '--progress-interval', value]);
    assert.equal(r.code, 2, `${value}: ${r.stderr}`);
    assert.match(r.stderr, /a number of seconds from 0 to 86400/);
    assert.doesNotMatch(r.stderr, noDefect);
  }
  const statePath = join(dir, 'state.json');
  const huge = { updatedAt: '2000-01-01T00:00:00Z', state_version: 1, note: 'x'.repeat(2_000_000) };
  writeFileSync(statePath, JSON.stringify({ version: 1, streams: { categories: huge } }));
  const r = await run('connector', ['read', '--config', fx.config(), '--output', 'jsonl', '--output-dir', dir, '--state-file', statePath, '--streams', 'categories', '--progress-interval', '0']);
  assert.equal(r.code, 0, r.stderr.slice(0, 2000));
  const longest = Math.max(...r.stderr.split('\n').map((l) => l.length));
  assert.ok(longest < 2_000, `the longest stderr line has ${longest} characters`);
  assert.match(r.stderr, /State file .*categories from \{"updatedAt":"2000-01-01T00:00:00Z".*… \([\d,]+ characters\)/);
});
