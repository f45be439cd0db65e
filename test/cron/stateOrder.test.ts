// The cron promise "the state file never claims a record that is not in a complete file", checked
// on the cron output itself (the listener the engine drives), without a network or a clock: the
// order of the file's rename and the state's save, and what happens when the rename fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CronOutput } from '../../connector/cron/read.js';
import { ProgressBoard } from '../../connector/cron/progress.js';
import { CronStateWriter } from '../../connector/cron/stateFile.js';
import { ConnectorError } from '../../connector/util/errors.js';
import { csvFormat, RecordFileSink } from '../../connector/sinks/recordFile.js';
import { Logger } from '../../connector/util/logger.js';
import { tempDir } from '../helpers/cli.js';

const previous = { version: 1, streams: { media: { updatedAt: '2000-01-01T00:00:00Z', state_version: 1 } } };
const state = (iso: string) => ({ updatedAt: iso, state_version: 1 }) as never;
const rows = (...ids: string[]) => ids.map((id) => Buffer.from(JSON.stringify({ id, updatedAt: '2024-05-01T12:00:00Z' })));

/** A cron output for one `media` stream, with every operation on its file and state recorded. */
async function setUp() {
  const dir = tempDir();
  const statePath = join(dir, 'state.json');
  const previousText = `${JSON.stringify(previous, null, 2)}\n`;
  writeFileSync(statePath, previousText);
  const finalPath = join(dir, 'media-20261122T071500Z.csv');
  const sink = await RecordFileSink.open(finalPath, csvFormat(['id', 'updatedAt']));
  const writer = new CronStateWriter(statePath, structuredClone(previous) as never);
  const ops: string[] = [];
  for (const method of ['commit', 'commitMarked'] as const) {
    const original = sink[method].bind(sink);
    sink[method] = async () => {
      ops.push(`${method} start`);
      await original();
      ops.push(`${method} done`);
    };
  }
  const save = writer.save.bind(writer);
  writer.save = (stream, value) => {
    // What a reader of the directory sees at the moment the state is saved.
    ops.push(`save ${stream}: file ${existsSync(finalPath) ? readFileSync(finalPath, 'utf8').split('\n').filter(Boolean).length - 1 + ' rows' : 'absent'}`);
    return save(stream, value);
  };
  const board = new ProgressBoard({ write: () => undefined }, { live: false, intervalMs: 0 });
  const logs: string[] = [];
  const output = new CronOutput(new Map([['media', sink]]), writer, board, new Logger((level, message) => logs.push(`${level} ${message}`)));
  return { dir, statePath, previousText, finalPath, output, ops, logs };
}

test('a completed stream: its file is renamed first, then its state is saved', async () => {
  const { statePath, previousText, finalPath, output, ops } = await setUp();
  await output.started('media');
  await output.records('media', rows('0_a', '0_b'));
  await output.checkpoint('media', state('2024-05-01T12:00:00Z'));
  assert.equal(readFileSync(statePath, 'utf8'), previousText, 'a checkpoint alone saves nothing: its records are not in a complete file yet');
  await output.records('media', rows('0_c'));
  await output.checkpoint('media', state('2024-05-01T12:00:01Z'));
  await output.completed('media', 3);
  assert.deepEqual(ops, ['commit start', 'commit done', 'save media: file 3 rows']);
  assert.deepEqual(JSON.parse(readFileSync(statePath, 'utf8')).streams.media, state('2024-05-01T12:00:01Z'));
  assert.ok(existsSync(finalPath));
});

test('a failed stream: the part its last checkpoint covers is renamed first, then the state moves to it', async () => {
  const { statePath, finalPath, output, ops } = await setUp();
  await output.started('media');
  await output.records('media', rows('0_a', '0_b'));
  await output.checkpoint('media', state('2024-05-01T12:00:00Z'));
  await output.records('media', rows('0_c'));
  await output.failed('media', new ConnectorError('transient_error', 'Kaltura kept answering 503'), 3);
  assert.deepEqual(ops, ['commitMarked start', 'commitMarked done', 'save media: file 2 rows']);
  assert.equal(readFileSync(finalPath, 'utf8'), 'id,updatedAt\n0_a,2024-05-01T12:00:00Z\n0_b,2024-05-01T12:00:00Z\n', 'exactly the covered records');
  assert.deepEqual(JSON.parse(readFileSync(statePath, 'utf8')).streams.media, state('2024-05-01T12:00:00Z'));
});

test('when the rename fails, the state file is left exactly as it was', async () => {
  const { dir, statePath, previousText, finalPath, output, ops, logs } = await setUp();
  // A non-empty directory under the file's final name: rename() cannot replace it.
  mkdirSync(finalPath);
  writeFileSync(join(finalPath, 'in-the-way'), '');
  await output.started('media');
  await output.records('media', rows('0_a', '0_b'));
  await output.checkpoint('media', state('2024-05-01T12:00:00Z'));
  await assert.rejects(output.completed('media', 2));
  // The engine reports the stream failed, as it does when completed() throws.
  await output.failed('media', new ConnectorError('system_error', 'could not write'), 2);
  assert.ok(!ops.some((op) => op.startsWith('save')), `no save was attempted: ${ops.join(', ')}`);
  assert.equal(readFileSync(statePath, 'utf8'), previousText);
  assert.deepEqual(readdirSync(dir).sort(), ['media-20261122T071500Z.csv', 'state.json'], 'no temporary file left');
  assert.deepEqual(readdirSync(finalPath), ['in-the-way']);
  assert.ok(logs.some((l) => /ERROR media: could not keep its file or state.*state file is unchanged/.test(l)), logs.join('\n'));
});
