/** A JSON file the user handed us that is not JSON: where the mistake is, never what the file holds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonFile, describeJsonError, firstJsonErrorOffset } from '../../connector/util/files.js';
import { ConnectorError } from '../../connector/kaltura/errors.js';

const token = '0123456789abcdef0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'source-kaltura-json-'));

async function problemOf(text: string): Promise<string> {
  const path = join(dir, `f-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, text);
  try {
    await readJsonFile(path, 'config');
  } catch (err) {
    assert.ok(err instanceof ConnectorError);
    assert.equal(err.failureType, 'config_error');
    return err.message;
  }
  assert.fail('the file was accepted');
}

/** No run of 6 characters of the secret appears in the text. */
function assertNoPieceOf(secret: string, text: string): void {
  for (let i = 0; i + 6 <= secret.length; i++) assert.ok(!text.includes(secret.slice(i, i + 6)), `a piece of the token (${secret.slice(i, i + 6)}) is in: ${text}`);
}

const broken: Array<[string, string, RegExp]> = [
  ['an unquoted token', `{\n  "partner_id": 1984310,\n  "app_token_id": "0_o7l19k80",\n  "app_token": ${token}\n}\n`, /line 4, column 17/], // the number 0, then "1" cannot follow
  ['an unclosed string', `{\n  "partner_id": 1984310,\n  "app_token": "${token}\n}\n`, /string/],
  ['a trailing comma', `{"partner_id": 1984310, "app_token": "${token}",}`, /line 1, column 73/],
  ['single quotes', `{'app_token': '${token}'}`, /line 1, column 2/],
  ['text after the JSON', `{"a": 1} app_token=${token}`, /more text after the JSON/],
  ['a cut-off file', `{"partner_id": 1984310, "app_token": "${token}"`, /ends before the JSON does/],
  ['a short file', `{"t":${token}}`, /line 1, column 7/],
];

for (const [label, text, where] of broken) {
  test(`a config file with ${label} is named with its position and none of its content`, async () => {
    const message = await problemOf(text);
    assert.match(message, /is not valid JSON/);
    assert.match(message, /line \d+, column \d+/);
    assert.match(message, where);
    assertNoPieceOf(token, message);
    assert.doesNotMatch(message, /app_token/, 'no key of the file either');
  });
}

test('an empty file and a missing file say so', async () => {
  assert.match(await problemOf(''), /the file is empty/);
  await assert.rejects(readJsonFile(join(dir, 'nope.json'), 'catalog'), (err: unknown) => err instanceof ConnectorError && /The catalog file .*nope\.json does not exist/.test(err.message));
  await assert.rejects(readJsonFile(dir, 'state'), (err: unknown) => err instanceof ConnectorError && /is a directory/.test(err.message));
});

test('a UTF-8 byte-order mark is accepted', async () => {
  const path = join(dir, 'bom.json');
  writeFileSync(path, `\ufeff{"partner_id": 1}`);
  assert.deepEqual(await readJsonFile(path, 'config'), { partner_id: 1 });
});

test('the offset found agrees with V8 wherever V8 gives one', () => {
  const samples = ['{"a":1,}', '{"a" 1}', '[1,2', '{"a":"x\ny"}', '{"a":1} x', '{"a":-}', '{"a":"\\q"}', '[01]', '{"a":1.}', '{"a":1e}', '[tru]', '{"a":"\\u12g4"}', '{"a":[1,2,]}', '  '];
  let compared = 0;
  for (const text of samples) {
    let message = '';
    try {
      JSON.parse(text);
      assert.fail(`${text} parsed`);
    } catch (err) {
      message = (err as Error).message;
    }
    const v8 = /at position (\d+)/.exec(message);
    if (v8) {
      assert.equal(firstJsonErrorOffset(text), Number(v8[1]), `${JSON.stringify(text)}: ${message}`);
      compared++;
    }
    const { line, column } = describeJsonError(text, message);
    assert.ok(line >= 1 && column >= 1);
  }
  assert.ok(compared >= 5, `compared ${compared} positions with V8`);
});
