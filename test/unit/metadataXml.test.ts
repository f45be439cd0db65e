import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withParsedXml } from '../../connector/streams/metadataXml.js';

const valuesOf = (xml: string): unknown => withParsedXml({ id: 1, xml }).values;

test('indented metadata XML gives its fields only, values keeping their own spaces', () => {
  const xml = '<?xml version="1.0"?>\n<metadata>\n  <Topic>a</Topic>\n  <Topic>b</Topic>\n  <Note> two  spaces </Note>\n  <Group>\n    <Sub>x</Sub>\n  </Group>\n</metadata>\n';
  assert.deepEqual(valuesOf(xml), { Topic: ['a', 'b'], Note: ' two  spaces ', Group: { Sub: 'x' } });
});

test('fields named like JavaScript internals keep their names, or gain a trailing _ where the parser refuses them', () => {
  const xml = '<metadata><toString>1</toString><hasOwnProperty>2</hasOwnProperty><constructor>3</constructor><__proto__>4</__proto__></metadata>';
  const values = valuesOf(xml) as Record<string, unknown>;
  assert.equal(JSON.stringify(values), '{"toString":"1","hasOwnProperty":"2","constructor_":"3","__proto___":"4"}');
  assert.equal(Object.getPrototypeOf(values), Object.prototype, 'no prototype was replaced');
});

test('XML that does not parse leaves values out and keeps the raw XML', () => {
  const row = withParsedXml({ id: 1, xml: '<metadata><A>1</B></metadata>' });
  assert.equal(row.values, undefined);
  assert.equal(row.xml, '<metadata><A>1</B></metadata>');
});
