// A cron read stopped by SIGTERM (`kill`, a service manager stopping, a container shutting down)
// in the middle of a stream: the documented exit code, no temporary file or lock left behind, and
// the state file exactly as it was.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { run } from '../singer/run.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 600, categories: 10, seed: 83 });
});
after(() => fx.close());

test('SIGTERM in the middle of a stream: exit 143, its temporary file and the lock removed, the state file untouched', async () => {
  const dir = tempDir();
  const statePath = join(dir, 'state.json');
  const previous = `${JSON.stringify({ version: 1, streams: { media: { updatedAt: '2000-01-01T00:00:00Z', state_version: 1 } } }, null, 2)}\n`;
  writeFileSync(statePath, previous);
  const config = fx.config('admin', { page_size: 20, max_concurrency: 1 });
  const catalog = fx.catalog([['media', 'incremental']]);
  const args = ['read', '--config', config, '--catalog', catalog, '--output', 'csv', '--output-dir', dir, '--state-file', statePath, '--progress-interval', '0'];
  let seenBeforeSignal: string[] = [];
  let r;
  try {
    r = await run('connector', args, {
      killSignal: 'SIGTERM',
      killWhen: (stderr) => {
        if (!/INFO media: [\d,]+ records/.test(stderr)) return false;
        // After media's first page, Kaltura slows to a crawl: the stream cannot end before the signal.
        fx.emulator.control.setFaults({ latencyMs: 2_000, onlyServices: ['media.list'] });
        seenBeforeSignal = readdirSync(dir);
        return true;
      },
    });
  } finally {
    fx.emulator.control.clearFaults();
  }
  assert.ok(r.killed, `the read reached media's first page: ${r.stderr}`);
  assert.ok(seenBeforeSignal.some((n) => /^\.media-\d{8}T\d{6}Z-p\d+-[0-9a-f]{8}\.csv\.\d+\.tmp$/.test(n)), `media was being written when the signal came: ${seenBeforeSignal.join(', ')}`);
  assert.ok(seenBeforeSignal.includes('state.json.lock'), 'and the run held the lock');
  assert.equal(r.signal, null, 'the connector handled the signal itself');
  assert.equal(r.code, 143, r.stderr);
  assert.match(r.stderr, /ERROR Interrupted by SIGTERM: files of unfinished streams removed; their state is unchanged\n$/);
  assert.deepEqual(readdirSync(dir), ['state.json'], 'no data file, temporary file or lock left');
  assert.equal(readFileSync(statePath, 'utf8'), previous, 'the state file is the previous one, byte for byte');

  // The next run starts from that state as if the interrupted one had never been.
  const next = await run('connector', args);
  assert.equal(next.code, 0, next.stderr);
  assert.doesNotMatch(next.stderr, /Removed \d+ temporary file/, 'nothing was left to clean up');
  assert.equal(readdirSync(dir).filter((n) => /^media-\d{8}T\d{6}Z-p\d+-[0-9a-f]{8}\.csv$/.test(n)).length, 1);
  assert.notEqual(readFileSync(statePath, 'utf8'), previous);
});
