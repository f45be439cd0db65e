// The state-file lock: exactly one of many runs started at once holds it, with or without a stale
// lock in the way, and a stale lock is told from a live one by more than a pid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { isAlive, removeStaleTempFiles } from '../../connector/sinks/atomicFile.js';
import { LockFile } from '../../connector/sinks/lockFile.js';
import { repoRoot, tempDir } from '../helpers/cli.js';

const contender = join(repoRoot, 'dist', 'test', 'helpers', 'lockRace.js');

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** The next line a child prints. */
function nextLine(child: ChildProcessByStdio<Writable, Readable, null>): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (b: Buffer) => {
      text += b.toString();
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      child.stdout.off('data', onData);
      resolve(text.slice(0, nl));
    };
    child.stdout.on('data', onData);
    child.once('exit', () => reject(new Error(`contender exited early: ${text}`)));
  });
}

/** `n` processes try the lock at the same moment; resolves to what each got. */
async function race(path: string, n: number): Promise<string[]> {
  const children = Array.from({ length: n }, () => spawn(process.execPath, [contender, path], { stdio: ['pipe', 'pipe', 'inherit'] }));
  try {
    await Promise.all(children.map(async (c) => assert.equal(await nextLine(c), 'ready')));
    const results = children.map((c) => nextLine(c));
    for (const c of children) c.stdin.write('go\n');
    return await Promise.all(results);
  } finally {
    for (const c of children) c.stdin.end();
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
  }
}

const staleLocks: Array<[string, (path: string) => void]> = [
  ['no lock', () => undefined],
  ['a lock of a dead process (earlier version: a bare pid)', (path) => writeFileSync(path, `${deadPid()}\n`)],
  ['a lock naming PID 1 (earlier version)', (path) => writeFileSync(path, '1\n')],
  ['a lock of a process of this machine that has since ended', (path) => writeFileSync(path, JSON.stringify({ ...ownIdentity(), pid: deadPid(), token: 'dead' }))],
  [
    'a lock of another container, not touched for ten minutes',
    (path) => {
      writeFileSync(path, JSON.stringify({ pid: 1, host: 'container-1', boot: 'another-boot', pidns: 'pid:[1]', started: '1', token: 'old', since: '2026-01-01T00:00:00Z' }));
      const old = new Date(Date.now() - 600_000);
      utimesSync(path, old, old);
    },
  ],
  ['an unreadable lock', (path) => writeFileSync(path, '{"pid": ')],
];

/** The identity fields this process would write, read back from a lock it takes. */
function ownIdentity(): Record<string, unknown> {
  const dir = tempDir();
  const probe = join(dir, 'probe.lock');
  const holder = JSON.parse(String(spawnSync(process.execPath, ['-e', `import(${JSON.stringify(join(repoRoot, 'dist/connector/sinks/lockFile.js'))}).then(async (m) => { await m.LockFile.acquire(${JSON.stringify(probe)}); process.stdout.write(require('fs').readFileSync(${JSON.stringify(probe)}, 'utf8')); process.exit(0); })`], { encoding: 'utf8' }).stdout));
  return holder;
}

for (const [what, setUp] of staleLocks) {
  test(`10 runs at once, ${what}: exactly one holds the lock, the others are told who does`, async () => {
    // Several rounds: a check-then-act lock lets two through only some of the time.
    for (let round = 0; round < 2; round++) {
      const dir = tempDir();
      const path = join(dir, 'state.json.lock');
      setUp(path);
      const results = await race(path, 10);
      assert.equal(results.filter((r) => r === 'acquired').length, 1, `round ${round}: ${results.join(' | ')}`);
      for (const r of results.filter((x) => x !== 'acquired')) assert.match(r, /^held by process \d+ on \S+, since \d{4}-/);
      assert.deepEqual(readdirSync(dir), [], `round ${round}: released, and no marker or temporary file left`);
    }
  });
}

test('a lock naming a live process whose start time differs (a reused pid) is stale; a live holder elsewhere blocks', async () => {
  const dir = tempDir();
  const path = join(dir, 'state.json.lock');
  const me = ownIdentity();
  // The parent of this test runs, but it is not the process that wrote this lock.
  writeFileSync(path, JSON.stringify({ ...me, pid: process.ppid, started: '1', token: 'reused' }));
  const taken = await LockFile.acquire(path);
  assert.ok(taken instanceof LockFile, 'taken over');
  await taken.release();
  assert.equal(existsSync(path), false);

  // Another host, touched just now: nothing here can see that process, and its heartbeat is fresh.
  writeFileSync(path, JSON.stringify({ pid: 4242, host: 'etl-2', boot: 'b', pidns: 'p', started: '9', token: 'other', since: '2026-12-01T00:00:00Z' }));
  const held = await LockFile.acquire(path);
  assert.ok(!(held instanceof LockFile));
  assert.equal(held.holder, 'process 4242 on etl-2, since 2026-12-01T00:00:00Z');
  assert.notEqual(hostname(), 'etl-2');
});

test('a lock, or a temporary file, of a killed process waiting as a zombie to be reaped is stale', async () => {
  // `sleep 0` exits at once, but its parent (sh, turned into `sleep 30`) never reaps it: a zombie,
  // as a run killed with its parent becomes under an init that reaps late.
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const [pidText] = (await once(parent.stdout, 'data')) as [Buffer];
    const zombie = Number(pidText.toString().trim());
    for (let i = 0; i < 200 && !/\) Z /.test(readFileSync(`/proc/${zombie}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(readFileSync(`/proc/${zombie}/stat`, 'utf8'), /\) Z /, 'the child is a zombie');
    assert.equal(isAlive(zombie), false);

    const dir = tempDir();
    const path = join(dir, 'state.json.lock');
    writeFileSync(path, `${zombie}\n`);
    const taken = await LockFile.acquire(path);
    assert.ok(taken instanceof LockFile, 'taken over');
    await taken.release();
    writeFileSync(join(dir, `.media-20261122T071500Z-p1-0000abcd.csv.${zombie}.tmp`), 'x');
    assert.deepEqual(await removeStaleTempFiles(dir), [`.media-20261122T071500Z-p1-0000abcd.csv.${zombie}.tmp`]);
  } finally {
    parent.kill('SIGKILL');
  }
});
