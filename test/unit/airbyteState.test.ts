import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAirbyteStateFile, statesFromAirbyte } from '../../connector/protocol/airbyte/catalog.js';
import { tempDir } from '../helpers/cli.js';

const streamState = (name: string, updatedAt: string) => ({ type: 'STREAM', stream: { stream_descriptor: { name }, stream_state: { updatedAt, state_version: 1 } }, sourceStats: { recordCount: 3 } });
const printed = (name: string, updatedAt: string) => ({ type: 'STATE', state: streamState(name, updatedAt) });
const asObject = (states: Map<string, unknown>) => Object.fromEntries(states);

test('--state takes the platform form: an array of AirbyteStateMessage', () => {
  assert.deepEqual(asObject(statesFromAirbyte([streamState('media', '2024-01-01T00:00:00Z'), streamState('categories', '2024-02-01T00:00:00Z')])), {
    media: { updatedAt: '2024-01-01T00:00:00Z', state_version: 1 },
    categories: { updatedAt: '2024-02-01T00:00:00Z', state_version: 1 },
  });
});

test('--state takes the STATE lines as the connector printed them, every one of a run: the last of each stream wins', () => {
  const states = statesFromAirbyte([printed('media', '2024-01-01T00:00:00Z'), printed('categories', '2024-02-01T00:00:00Z'), printed('media', '2024-03-01T00:00:00Z')]);
  assert.deepEqual(asObject(states), {
    media: { updatedAt: '2024-03-01T00:00:00Z', state_version: 1 },
    categories: { updatedAt: '2024-02-01T00:00:00Z', state_version: 1 },
  });
});

test('--state takes one state message on its own, in either form', () => {
  assert.deepEqual(asObject(statesFromAirbyte(printed('media', '2024-01-01T00:00:00Z'))), { media: { updatedAt: '2024-01-01T00:00:00Z', state_version: 1 } });
  assert.deepEqual(asObject(statesFromAirbyte(streamState('users', '2024-01-01T00:00:00Z'))), { users: { updatedAt: '2024-01-01T00:00:00Z', state_version: 1 } });
});

test('--state refuses other shapes, naming the entry and the forms it takes', () => {
  assert.throws(() => statesFromAirbyte({ media: { updatedAt: 1 } }), /not an array of per-stream states.*\{"type":"STATE","state"/s);
  assert.throws(() => statesFromAirbyte([printed('media', '2024-01-01T00:00:00Z'), { type: 'RECORD', record: {} }]), /Entry 1 of the state file is not a per-stream \(type STREAM\) state/);
  assert.throws(() => statesFromAirbyte([{ type: 'GLOBAL', global: { stream_states: [] } }]), /Entry 0 of the state file is a GLOBAL state, which this connector never writes/);
  assert.throws(() => statesFromAirbyte([{ type: 'STATE', state: { type: 'LEGACY', data: {} } }]), /Entry 0 .* LEGACY state/);
  assert.throws(() => statesFromAirbyte([{ type: 'STREAM', stream: { stream_state: {} } }]), /Entry 0 .* not a per-stream/);
});

test('a --state file may hold the printed STATE lines one per line (JSON Lines)', async () => {
  const dir = tempDir();
  const path = join(dir, 'state.jsonl');
  writeFileSync(path, `${JSON.stringify(printed('media', '2024-01-01T00:00:00Z'))}\n${JSON.stringify(printed('media', '2024-03-01T00:00:00Z'))}\n\n${JSON.stringify(printed('categories', '2024-02-01T00:00:00Z'))}\n`);
  assert.deepEqual(asObject(statesFromAirbyte(await readAirbyteStateFile(path))), {
    media: { updatedAt: '2024-03-01T00:00:00Z', state_version: 1 },
    categories: { updatedAt: '2024-02-01T00:00:00Z', state_version: 1 },
  });
  const broken = join(dir, 'broken.jsonl');
  writeFileSync(broken, `${JSON.stringify(printed('media', '2024-01-01T00:00:00Z'))}\n{"type":"STATE",\n`);
  await assert.rejects(readAirbyteStateFile(broken), /neither JSON nor JSON Lines: .* at line 2, column \d+/);
  const single = join(dir, 'single.json');
  writeFileSync(single, '{"not json');
  await assert.rejects(readAirbyteStateFile(single), /is not valid JSON/);
  await assert.rejects(readAirbyteStateFile(join(dir, 'missing.json')), /does not exist/);
});

test('a JSON Lines --state file saved with a byte-order mark is read like one without', async () => {
  const path = join(tempDir(), 'state-bom.jsonl');
  writeFileSync(path, `\ufeff${JSON.stringify(printed('media', '2024-01-01T00:00:00Z'))}\n${JSON.stringify(printed('categories', '2024-02-01T00:00:00Z'))}\n`);
  assert.deepEqual(asObject(statesFromAirbyte(await readAirbyteStateFile(path))), {
    media: { updatedAt: '2024-01-01T00:00:00Z', state_version: 1 },
    categories: { updatedAt: '2024-02-01T00:00:00Z', state_version: 1 },
  });
});
