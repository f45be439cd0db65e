import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runConnector, ofType } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';

// Logs speak of the streams a user chose: the walk of entries that metadata is read by is no
// stream, and says whose parents it reads.
let fx: Fixture;
before(async () => {
  // 2,500 entries: 777 of them share one updatedAt second, more than idNotIn can exclude (read by
  // keyset, one request at a time: max_concurrency 1).
  fx = await startFixture({ entries: 2_500, categories: 20, seed: 5 });
});
after(() => fx.close());

test('the walk of parent entries is named by the streams it serves, and no line is printed twice', async () => {
  const run = await runConnector(['read', '--config', fx.config('admin', { max_concurrency: 1 }), '--catalog', fx.catalog([['media', 'full_refresh'], ['metadata', 'full_refresh']])]);
  assert.equal(run.code, 0, run.stderr);
  const logs = ofType(run.messages, 'LOG').map((m) => String(m.log.message));
  assert.deepEqual(
    logs.filter((l) => l.startsWith('entries:')),
    [],
    'no line is about "entries" as if it were a stream',
  );
  assert.ok(
    logs.some((l) => /^parent entries of metadata: \d+ rows share updatedAt \d+/.test(l)),
    `the crowded second of the parents' walk names metadata:\n${logs.join('\n')}`,
  );
  const windows = logs.filter((l) => /: read in \d+ windows? of /.test(l));
  assert.equal(new Set(windows).size, windows.length, `each window summary once, each saying what it read: ${windows.join(' | ')}`);
  assert.ok(windows.some((l) => l.startsWith('media: ')));
});
