/** The casting rule (docs/records.md): a value in another type is given in the declared one only when nothing is lost. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { castValue, type FieldSchema } from '../../connector/engine/cast.js';
import { createAjv } from '../../connector/util/ajv.js';

const ajv = createAjv();
function cast(value: unknown, field: FieldSchema): unknown {
  const accepts = ajv.compile(field);
  const result = castValue(value, field, (v) => accepts(v));
  return result ? result.value : 'NOT CAST';
}

const integer = { type: ['integer', 'null'] };
const number = { type: ['number', 'null'] };
const text = { type: ['string', 'null'] };
const flag = { type: ['boolean', 'null'] };
const time = { type: ['string', 'null'], format: 'date-time' };
const list = { type: ['array', 'null'], items: { type: 'object' } };

test('integers: digits, booleans and whole numbers; nothing with a fraction, a unit or beyond 2^53', () => {
  assert.equal(cast('12', integer), 12);
  assert.equal(cast('-7', integer), -7);
  assert.equal(cast('+3', integer), 3);
  assert.equal(cast(true, integer), 1);
  assert.equal(cast(false, integer), 0);
  for (const lossy of ['1.5', '12.0', ' 12', '12 ', '1e3', '0x1f', '', 'n/a', '12kb', '9007199254740993', 1.5, {}, [], [1]]) {
    assert.equal(cast(lossy, integer), 'NOT CAST', JSON.stringify(lossy));
  }
});

test('numbers: decimal text and booleans; not NaN, Infinity or locale forms', () => {
  assert.equal(cast('1.5', number), 1.5);
  assert.equal(cast('-2e3', number), -2000);
  assert.equal(cast('.5', number), 0.5);
  assert.equal(cast(true, number), 1);
  for (const lossy of ['NaN', 'Infinity', '1,5', ' 1', '', '1e999', 'abc', {}, []]) assert.equal(cast(lossy, number), 'NOT CAST', JSON.stringify(lossy));
});

test('text: numbers and booleans as written, lists and objects as their JSON', () => {
  assert.equal(cast(12, text), '12');
  assert.equal(cast(1.25, text), '1.25');
  assert.equal(cast(false, text), 'false');
  assert.equal(cast(['a', 'b'], text), '["a","b"]');
  assert.equal(cast({ k: 1 }, text), '{"k":1}');
});

test('booleans: true/false in any letter case, 1/0 and "1"/"0"; nothing else', () => {
  assert.equal(cast('true', flag), true);
  assert.equal(cast('TRUE', flag), true);
  assert.equal(cast('False', flag), false);
  assert.equal(cast(1, flag), true);
  assert.equal(cast(0, flag), false);
  assert.equal(cast('1', flag), true);
  assert.equal(cast('0', flag), false);
  for (const lossy of [2, -1, 'yes', 'no', 't', '', 0.5, [], {}]) assert.equal(cast(lossy, flag), 'NOT CAST', JSON.stringify(lossy));
});

test('times: unix seconds as text become RFC 3339 like numbers do; other text is not guessed at', () => {
  assert.equal(cast('1714568400', time), '2024-05-01T13:00:00Z');
  for (const lossy of ['2024-05-01 13:00:00', 'yesterday', '1714568400.5x', true, {}]) assert.equal(cast(lossy, time), 'NOT CAST', JSON.stringify(lossy));
});

test('lists and objects are never made up from other values', () => {
  assert.equal(cast('[]', list), 'NOT CAST');
  assert.equal(cast(['a'], list), 'NOT CAST', 'a list whose items are of the wrong type is not mended either');
  assert.equal(cast({ a: 1 }, list), 'NOT CAST');
});
