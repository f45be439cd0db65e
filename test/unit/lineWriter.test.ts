import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { LineWriter } from '../../connector/sinks/lineWriter.js';

test('writers waiting on a full stream share one drain wait, and every line arrives in order', async () => {
  const received: string[] = [];
  let maxDrainListeners = 0;
  const slow = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _encoding, done) {
      received.push(chunk.toString());
      maxDrainListeners = Math.max(maxDrainListeners, slow.listenerCount('drain'));
      setTimeout(done, 1);
    },
  });
  const writer = new LineWriter(slow);
  const lines = Array.from({ length: 20 }, (_, i) => `line ${i} ${'x'.repeat(20)}\n`);
  await Promise.all(lines.map((line) => writer.write(line)));
  await writer.flush();
  assert.deepEqual(received, lines);
  assert.ok(maxDrainListeners <= 1, `at most one drain listener at a time (saw ${maxDrainListeners})`);
});
