import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runConnector, ofType, recordsOf, lastStates, assertSameRecords } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';

// `--state` takes the STATE messages the previous run emitted: as the Airbyte platform hands them
// back (AirbyteStateMessage), or as the connector printed them (whole AirbyteMessage lines).
let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 2_000, categories: 40, seed: 23 });
});
after(() => fx.close());

test('a read resumes the same from the platform\'s state array, the printed STATE lines (array or JSON Lines) and a single STATE line', async () => {
  const control = fx.emulator.control;
  const config = fx.config('admin', { lookback_window_seconds: 0 });
  const both = fx.catalog([['media', 'incremental'], ['categories', 'incremental']]);
  const first = await runConnector(['read', '--config', config, '--catalog', both]);
  assert.equal(first.code, 0, first.stderr);
  const printed = ofType(first.messages, 'STATE');
  assert.ok(printed.length > 2, 'the first read printed several STATE lines');

  control.advanceClock(60);
  const mediaIds = control.updateEntries(recordsOf(first.messages, 'media').slice(0, 7).map((r) => r.id as string));
  const catIds = control.updateCategories(recordsOf(first.messages, 'categories').slice(0, 3).map((r) => r.id as number));
  control.advanceClock(2);

  const read = async (name: string, state: string, catalog = both) => {
    const path = join(fx.dir, name);
    writeFileSync(path, state);
    const run = await runConnector(['read', '--config', config, '--catalog', catalog, '--state', path]);
    assert.equal(run.code, 0, `${name}: ${JSON.stringify(ofType(run.messages, 'TRACE').filter((m) => m.trace.type === 'ERROR'))} ${run.stderr}`);
    return run;
  };
  const platform = await read('platform.json', JSON.stringify(lastStates(first.messages)));
  // The state was used: only the changed rows come back.
  assert.deepEqual(recordsOf(platform.messages, 'media').map((r) => r.id).sort(), [...mediaIds].sort());
  assert.deepEqual(recordsOf(platform.messages, 'categories').map((r) => r.id).sort(), [...catIds].sort());

  const asArray = await read('printed.json', JSON.stringify(printed));
  assertSameRecords(['media', 'categories'], asArray.messages, platform.messages, 'every printed STATE line, as a JSON array');
  const stateLines = first.stdout.split('\n').filter((l) => l.startsWith('{"type":"STATE"'));
  assert.equal(stateLines.length, printed.length);
  const asLines = await read('printed.jsonl', `${stateLines.join('\n')}\n`);
  assertSameRecords(['media', 'categories'], asLines.messages, platform.messages, 'the printed STATE lines, one per line');

  const lastMedia = printed.filter((m) => m.state.stream.stream_descriptor.name === 'media').at(-1)!;
  const single = await read('single.json', JSON.stringify(lastMedia), fx.catalog([['media', 'incremental']]));
  assertSameRecords(['media'], single.messages, platform.messages, 'one STATE line on its own');
});
