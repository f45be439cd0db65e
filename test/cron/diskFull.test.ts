// A full disk part-way through a cron read: a file under a final name holds exactly the whole
// records that the log and the state say it holds, or does not exist. First with a disk that
// fills at a chosen byte (an opener whose writes stop with ENOSPC), then, where this test may mount
// one (root), with a real 1 MB tmpfs under a whole run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { CronOutput } from '../../connector/cron/read.js';
import { ProgressBoard } from '../../connector/cron/progress.js';
import { CronStateWriter } from '../../connector/cron/stateFile.js';
import type { Opener } from '../../connector/sinks/atomicFile.js';
import { OutputError } from '../../connector/sinks/outputError.js';
import { csvFormat, jsonlFormat, RecordFileSink } from '../../connector/sinks/recordFile.js';
import { Logger } from '../../connector/util/logger.js';
import { tempDir } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { run } from '../singer/run.js';

/** A disk with `capacity` bytes free: a write that does not fit writes what fits, the next one fails with ENOSPC, as write(2) does. */
function fillingDisk(capacity: number): Opener {
  let used = 0;
  return async (path, flags, mode) => {
    const handle = await open(path, flags, mode);
    const write = handle.write.bind(handle) as (b: Buffer, o: number, l: number, p: number) => Promise<{ bytesWritten: number; buffer: Buffer }>;
    (handle as unknown as { write: FileHandle['write'] }).write = (async (buffer: Buffer, offset: number, length: number, position: number) => {
      const room = capacity - used;
      if (room <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
      const result = await write(buffer, offset, Math.min(length, room), position);
      used += result.bytesWritten;
      return result;
    }) as unknown as FileHandle['write'];
    return handle;
  };
}

const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => Buffer.from(JSON.stringify({ id: `0_${String(from + i).padStart(6, '0')}`, name: `entry ${from + i}, "quoted"`, updatedAt: '2024-05-01T12:00:00Z' })));
const state = (iso: string) => ({ updatedAt: iso, state_version: 1 }) as never;

for (const format of ['csv', 'jsonl'] as const) {
  test(`${format}: the disk fills in the middle of a batch; the kept file holds exactly the records its state covers, and the log says how many`, async () => {
    const dir = tempDir();
    const statePath = join(dir, 'state.json');
    const finalPath = join(dir, `media-20261122T071500Z-p1-0000abcd.${format}`);
    const sink = await RecordFileSink.open(finalPath, format === 'csv' ? csvFormat(['id', 'name', 'updatedAt']) : jsonlFormat(), fillingDisk(5_000));
    const logs: string[] = [];
    const writer = new CronStateWriter(statePath, { version: 1, streams: {} });
    const board = new ProgressBoard({ write: () => undefined }, { live: false, intervalMs: 0 });
    const output = new CronOutput(new Map([['media', sink]]), writer, board, new Logger((level, message) => logs.push(`${level} ${message}`)));

    await output.started('media');
    await output.records('media', rows(0, 20));
    await output.checkpoint('media', state('2024-05-01T12:00:00Z'));
    // The next batch does not fit: part of it reaches the disk before ENOSPC.
    const error = await output.records('media', rows(20, 200)).then(
      () => assert.fail('the disk is full'),
      (err: unknown) => err,
    );
    assert.ok(error instanceof OutputError, String(error));
    assert.match(error.message, /Cannot write media-\S+ in .*: the disk is full \(ENOSPC\)\. Free space there/);
    await output.failed('media', error, 20);

    const text = readFileSync(finalPath, 'utf8');
    const kept = format === 'csv' ? (parse(text, { columns: true }) as Array<Record<string, string>>) : text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
    assert.ok(text.endsWith('\n'), 'the last record is whole');
    assert.deepEqual(kept.map((r) => r.id), rows(0, 20).map((b) => JSON.parse(b.toString()).id), 'exactly the 20 records read before the checkpoint');
    assert.ok(logs.some((l) => /WARN media: kept the 20 records read before the failure in media-/.test(l)), logs.join('\n'));
    assert.deepEqual(JSON.parse(readFileSync(statePath, 'utf8')).streams.media, state('2024-05-01T12:00:00Z'), 'and the state covers them');
    assert.equal(output.unwritable, true, 'the run ends with the disk-full exit code');
    assert.deepEqual(readdirSync(dir).sort(), ['media-20261122T071500Z-p1-0000abcd.' + format, 'state.json'].sort(), 'no temporary file left');
  });
}

test('a full disk while the header is written: the run is refused before any request, exit 3, nothing left', async () => {
  const dir = tempDir();
  await assert.rejects(RecordFileSink.open(join(dir, 'media.csv'), csvFormat(['id', 'name']), fillingDisk(3)), (err: unknown) => err instanceof OutputError && /disk is full/.test(err.message));
  assert.deepEqual(readdirSync(dir), []);
});

/** A tmpfs of `size` at a new directory, or undefined where this process may not mount one. */
function mountTmpfs(size: string): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = tempDir('source-kaltura-tmpfs-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? dir : undefined;
}

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 2_500, categories: 150, seed: 41 });
});
after(() => fx.close());

test('a whole cron run onto a 1 MB tmpfs: exit 3 with a plain message, and every file under a final name holds exactly the whole records the summary names', async (t) => {
  const mount = mountTmpfs('1m');
  if (!mount) {
    // Not root (a developer's clone): the filling disk above covers the same path without a mount.
    t.diagnostic('cannot mount a tmpfs here (not root); the ENOSPC tests above cover this path');
    return;
  }
  try {
    const dir = join(mount, 'out');
    mkdirSync(dir);
    const statePath = join(mount, 'state.json');
    writeFileSync(statePath, `${JSON.stringify({ version: 1, streams: {} })}\n`);
    const r = await run('connector', ['read', '--config', fx.config('admin', { page_size: 200 }), '--output', 'csv', '--output-dir', dir, '--state-file', statePath, '--progress-interval', '0']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /the disk is full \(ENOSPC\)/);
    assert.doesNotMatch(r.stderr, /defect|\n\s+at /, 'no "defect", no stack trace');
    const summary = r.stderr.trimEnd().split('\n').at(-1)!;
    const names = readdirSync(dir);
    assert.deepEqual(names.filter((n) => n.startsWith('.')), [], 'no temporary file left');
    assert.equal(existsSync(`${statePath}.lock`), false, 'the lock is released');
    const saved = JSON.parse(readFileSync(statePath, 'utf8')).streams as Record<string, unknown>;
    for (const name of names) {
      const stream = name.slice(0, name.indexOf('-'));
      const text = readFileSync(join(dir, name), 'utf8');
      assert.ok(text.endsWith('\n'), `${name}: the last record is whole`);
      const count = (parse(text) as string[][]).length - 1;
      const said = new RegExp(`${stream}: (?:FAILED, kept )?([\\d,]+) records in ${name.replace(/\./g, '\\.')}`).exec(summary);
      assert.ok(said, `${name} is named in the summary: ${summary}`);
      assert.equal(count, Number(said[1]!.replace(/,/g, '')), `${name}: as many rows as the summary says`);
    }
    for (const stream of Object.keys(saved)) assert.ok(names.some((n) => n.startsWith(`${stream}-`)), `the state covers ${stream} only with its file there`);
    assert.ok(names.length < 8 || /FAILED/.test(summary), 'the disk did fill');
  } finally {
    spawnSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
  }
});
