import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { AtomicFile, removeStaleTempFiles, tempPathFor, writeFileAtomic } from '../../connector/sinks/atomicFile.js';
import { LockFile } from '../../connector/sinks/lockFile.js';
import { csvFormat, RecordFileSink } from '../../connector/sinks/recordFile.js';
import { CronStateWriter, loadCronState } from '../../connector/cron/stateFile.js';
import { newRunId, outputFileName } from '../../connector/cron/read.js';
import { tempDir } from '../helpers/cli.js';

/** A pid that is certainly not running: a child that has already exited. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

test('output files are named <stream>-<UTC start time>-p<partner id>-<run id>.<format>; each run draws its own id', () => {
  assert.equal(outputFileName('media', new Date('2026-11-22T07:15:00.123Z'), 'csv', 2093031, '5f0c9a1e'), 'media-20261122T071500Z-p2093031-5f0c9a1e.csv');
  assert.equal(outputFileName('categories', new Date('2026-01-02T03:04:05Z'), 'jsonl', 7, '00ab12cd'), 'categories-20260102T030405Z-p7-00ab12cd.jsonl');
  const ids = new Set(Array.from({ length: 200 }, () => newRunId()));
  assert.equal(ids.size, 200, 'two runs in the same second get different names');
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}$/);
});

test('a committed file never replaces one already under its name (another run\'s): the commit fails and both stay as they were', async () => {
  const dir = tempDir();
  const path = join(dir, 'media-20261122T071500Z-p1-00000000.csv');
  writeFileSync(path, 'id\nother run\n');
  const file = await AtomicFile.create(path);
  await file.write('id\nthis run\n');
  await assert.rejects(file.commit(), /already exists \(another run's file\?\); it was left as it is/);
  assert.equal(readFileSync(path, 'utf8'), 'id\nother run\n', 'the other run\'s file is untouched');
  await file.discard();
  assert.deepEqual(readdirSync(dir), ['media-20261122T071500Z-p1-00000000.csv']);
  // A state file is the one file meant to be replaced, and still is.
  await writeFileAtomic(join(dir, 'state.json'), '1');
  await writeFileAtomic(join(dir, 'state.json'), '2');
  assert.equal(readFileSync(join(dir, 'state.json'), 'utf8'), '2');
});

test('an atomic file exists only under a hidden temporary name until it is committed', async () => {
  const dir = tempDir();
  const path = join(dir, 'media-20261122T071500Z.csv');
  const file = await AtomicFile.create(path);
  await file.write('id\n0_a\n');
  assert.equal(existsSync(path), false, 'no final name while writing');
  assert.deepEqual(readdirSync(dir), [`.media-20261122T071500Z.csv.${process.pid}.tmp`]);
  await file.commit();
  assert.deepEqual(readdirSync(dir), ['media-20261122T071500Z.csv']);
  assert.equal(readFileSync(path, 'utf8'), 'id\n0_a\n');

  const other = await AtomicFile.create(join(dir, 'categories.csv'));
  await other.write('partial');
  await other.discard();
  assert.deepEqual(readdirSync(dir), ['media-20261122T071500Z.csv'], 'a discarded file leaves nothing');
});

test('a record file kept after a failure holds exactly the records its state covers', async () => {
  const dir = tempDir();
  const sink = await RecordFileSink.open(join(dir, 'media.csv'), csvFormat(['id', 'name']));
  const encoded = (records: object[]) => records.map((r) => Buffer.from(JSON.stringify(r)));
  await sink.write(encoded([{ id: '0_a', name: 'first' }, { id: '0_b', name: 'second, "quoted"' }]));
  sink.mark();
  await sink.write(encoded([{ id: '0_c', name: 'after the last checkpoint' }]));
  await sink.commitMarked();
  assert.equal(sink.records, 2);
  assert.equal(readFileSync(join(dir, 'media.csv'), 'utf8'), 'id,name\n0_a,first\n0_b,"second, ""quoted"""\n');
});

test('temporary files of dead processes are removed; those of live ones and other files are left alone', async () => {
  const dir = tempDir();
  const dead = deadPid();
  const stale = `.media-20261122T071500Z.csv.${dead}.tmp`;
  const live = `.media-20261122T081500Z.csv.${process.ppid}.tmp`;
  const foreign = `.notes.txt.${dead}.tmp`;
  for (const name of [stale, live, foreign, 'media-20261122T061500Z.csv']) writeFileSync(join(dir, name), 'x');
  const removed = await removeStaleTempFiles(dir, (name) => name.startsWith('media-'));
  assert.deepEqual(removed, [stale]);
  assert.deepEqual(readdirSync(dir).sort(), [live, foreign, 'media-20261122T061500Z.csv'].sort());
});

test('the state file is replaced atomically and read back; saves from streams ending together do not interleave', async () => {
  const dir = tempDir();
  const path = join(dir, 'state.json');
  const first = await loadCronState(path);
  assert.equal(first.existed, false);
  assert.deepEqual(first.state.streams, {});
  const writer = new CronStateWriter(path, { version: 1, streams: { legacy: { kept: true } } });
  const media = { updatedAt: '2024-05-01T12:00:00Z', state_version: 1 };
  const categories = { updatedAt: '2024-05-01T12:00:05Z', state_version: 1 };
  await Promise.all([writer.save('media', media), writer.save('categories', categories)]);
  const saved = JSON.parse(readFileSync(path, 'utf8'));
  assert.equal(saved.version, 1);
  assert.match(saved.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(saved.streams, { legacy: { kept: true }, media, categories }, 'streams not read this run keep their state');
  assert.deepEqual(readdirSync(dir), ['state.json'], 'no temporary file left');
  assert.deepEqual((await loadCronState(path)).state.streams, saved.streams);
  await writeFileAtomic(path, '{"version":1,"streams":{}}\n');
  assert.equal(readFileSync(path, 'utf8'), '{"version":1,"streams":{}}\n');
  assert.equal(existsSync(tempPathFor(path)), false);
});

test('a state file that is not one is refused with the reason and the expected shape', async () => {
  const dir = tempDir();
  const cases: Array<[string, RegExp]> = [
    ['', /is empty/],
    ['{"version":1,"streams":{"media":', /not valid JSON/],
    ['[{"type":"STREAM"}]', /not a JSON object/],
    ['{"bookmarks":{"media":{}}}', /"version" is undefined, not 1; "streams" is missing or not an object; unknown key "bookmarks"/],
    ['{"version":2,"streams":{"media":"2024-01-01"}}', /"version" is 2, not 1; streams\.media is not an object/],
  ];
  for (const [text, reason] of cases) {
    const path = join(dir, 'state.json');
    writeFileSync(path, text);
    await assert.rejects(loadCronState(path), (err: Error) => {
      assert.match(err.message, reason);
      assert.match(err.message, /"version": 1, "streams": \{"media"/, 'shows the expected shape');
      return true;
    });
    assert.equal(readFileSync(path, 'utf8'), text, 'left as it was');
  }
});

test('a lock file keeps a second run out while the first is alive, and is taken over from a dead one', async () => {
  const dir = tempDir();
  const path = join(dir, 'state.json.lock');
  const first = await LockFile.acquire(path);
  assert.ok(first instanceof LockFile);
  const second = await LockFile.acquire(path);
  assert.ok(!(second instanceof LockFile) && second.heldBy === process.pid, 'held by this live process');
  await first.release();
  // A lock of an earlier version names a bare pid: a live one still counts.
  writeFileSync(path, `${process.ppid}\n`);
  const legacy = await LockFile.acquire(path);
  assert.ok(!(legacy instanceof LockFile) && legacy.heldBy === process.ppid);
  writeFileSync(path, `${deadPid()}\n`);
  const third = await LockFile.acquire(path);
  assert.ok(third instanceof LockFile);
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).pid, process.pid);
  await third.release();
  assert.equal(existsSync(path), false);
});
