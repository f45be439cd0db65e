/** A JSON file the user handed us that is not JSON: where the mistake is, never what the file holds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonFile, describeJsonError } from '../../connector/util/files.js';
import { ConnectorError } from '../../connector/util/errors.js';

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

test('the position named is where the mistake is, for each kind of mistake', () => {
  const samples: Array<[string, RegExp, number, number]> = [
    ['{"a":1,}', /property name/, 1, 8],
    ['{"a" 1}', /colon is missing/, 1, 6],
    ['{\n  "a": 1\n  "b": 2\n}', /comma or closing bracket/, 3, 3],
    ['{"a":"\\q"}', /invalid escape/, 1, 6],
    ['{"a":1.}', /number is malformed/, 1, 6],
    ['{"a":1} // note', /more text after the JSON/, 1, 9],
    ['{"a": /* c */ 1}', /no comments/, 1, 7],
    ['[tru]', /unexpected character/, 1, 2],
  ];
  for (const [text, problem, line, column] of samples) {
    assert.throws(() => JSON.parse(text), `${JSON.stringify(text)} is not JSON`);
    const found = describeJsonError(text);
    assert.match(found.problem, problem, JSON.stringify(text));
    assert.deepEqual([found.line, found.column], [line, column], `${JSON.stringify(text)}: ${found.problem}`);
  }
});
