import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type Emulator } from '../../fixtures/emulator/index.js';
import { parseConfig } from '../../connector/config/config.js';
import { createKalturaClient } from '../../connector/kaltura/index.js';
import { Logger } from '../../connector/util/logger.js';
import { planSync, runSync, settingsOf } from '../../connector/engine/sync.js';
import { media } from '../../connector/streams/media.js';
import { stateListener } from '../helpers/stateListener.js';

// Rows written in the second a read starts in, after it started, must not fall between this read
// and the next: offset pages of a counted window can skip a row when another one enters it.
let emu: Emulator;
before(async () => {
  emu = await startEmulator({ entries: 3000, categories: 10, seed: 41 });
});
after(() => emu.close());

test('an incremental read ends before the second it started in, so rows written later in that second come next time', async () => {
  const t = emu.tokens.admin!;
  const config = parseConfig({ service_url: emu.url, partner_id: t.partnerId, app_token_id: t.id, app_token: t.token, hash_type: t.hashType, max_concurrency: 4, lookback_window_seconds: 0 });
  const client = createKalturaClient(config, new Logger(() => {}));
  emu.control.advanceClock(5);
  const started = emu.control.now();
  // Kaltura's clock as the read sees it; nothing below changes it while the read runs.
  client.serverTime = async () => started;
  const upperBounds: number[] = [];
  const list = client.list.bind(client);
  client.list = (service, params, signal, decode) => {
    const bound = (params.filter as Record<string, unknown> | undefined)?.updatedAtLessThanOrEqual;
    if (typeof bound === 'number') upperBounds.push(bound);
    return list(service, params, signal, decode);
  };
  const { states, listener } = stateListener();
  const result = await runSync(client, listener, new Logger(() => {}), settingsOf(config), planSync([{ def: media, mode: 'incremental' }]));
  assert.deepEqual(result.failed, []);
  assert.ok(upperBounds.length > 0, 'the reads were bounded by updatedAt');
  assert.ok(upperBounds.every((b) => b < started), `no list reaches into the start second (${Math.max(...upperBounds)} vs ${started})`);
  const last = Date.parse(String(states.at(-1)?.updatedAt)) / 1000;
  assert.equal(last, started, 'the state claims every second before the start, and not the start second itself');
});
