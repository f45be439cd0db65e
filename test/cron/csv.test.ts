import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { csvFormat, jsonlFormat } from '../../connector/sinks/recordFile.js';

/** Records as the engine hands them to a sink: serialized, UTF-8 JSON. */
const encoded = (records: object[]): Buffer[] => records.map((r) => Buffer.from(JSON.stringify(r), 'utf8'));

const columns = ['id', 'name', 'description', 'views', 'rank', 'flag', 'tags', 'operationAttributes', 'updatedAt'];

const nasty = [
  { id: '0_quote', name: 'Town hall "all hands"', description: "Frank O'Neil, \"Dr\". Ng", views: 1, rank: 4.5, flag: true, updatedAt: '2024-05-01T12:00:00Z' },
  { id: '0_lines', name: 'Line one\nline two', description: 'CRLF\r\nsecond\rthird', views: 0, rank: 0, flag: false, updatedAt: '2024-05-01T12:00:01Z' },
  { id: '0_intl', name: 'Café Tōkyō — 東京ガイド', description: 'مقدمة في البرمجة · Введение · 한국어 · Keynote 🎬 launch', views: 12345678901, updatedAt: '2024-05-01T12:00:02Z' },
  { id: '0_empty', name: '', description: null, tags: ',', operationAttributes: [{ objectType: 'KalturaClipAttributes', offset: 0, note: 'a "quoted", comma' }], updatedAt: null },
  { id: '0_ws', name: '  leading and trailing  ', description: 'Tabs\tand\\backslashes', tags: '=SUM(A1)', operationAttributes: [], updatedAt: '2024-05-01T12:00:03Z' },
];

test('CSV: a header of the schema fields in order, and every value survives a round trip through a CSV parser', () => {
  const format = csvFormat(columns);
  const text = format.header() + String(format.lines(encoded(nasty.slice(0, 2)))) + String(format.lines(encoded(nasty.slice(2))));
  const rows: string[][] = parse(text, { relax_column_count: false });
  assert.deepEqual(rows[0], columns, 'header row in schema order');
  assert.equal(rows.length, nasty.length + 1, 'one row per record, whatever the newlines inside values');
  const byId = new Map(rows.slice(1).map((r) => [r[0], Object.fromEntries(columns.map((c, i) => [c, r[i]]))]));
  for (const record of nasty) {
    const row = byId.get(record.id)!;
    for (const column of columns) {
      const value = (record as Record<string, unknown>)[column];
      const expected = value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
      assert.equal(row[column], expected, `${record.id}.${column}`);
    }
  }
  const ops = JSON.parse(byId.get('0_empty')!.operationAttributes!);
  assert.deepEqual(ops, nasty[3]!.operationAttributes, 'nested values are JSON text that parses back');
  assert.equal(byId.get('0_quote')!.flag, 'true');
  assert.equal(byId.get('0_lines')!.flag, 'false');
  assert.equal(byId.get('0_intl')!.views, '12345678901');
  assert.equal(byId.get('0_ws')!.tags, '=SUM(A1)', 'data is written as it is, not rewritten against spreadsheets');
});

test('CSV: an empty string is "" and a missing or null value is an empty cell, so the two stay apart', () => {
  const format = csvFormat(['id', 'name', 'description', 'views']);
  const line = String(format.lines(encoded([{ id: 'x', name: '', description: null }])));
  assert.equal(line, 'x,"",,\n');
  const [row] = parse(line, { quote: '"', cast: (value: string, ctx: { quoting: boolean }) => (value === '' && !ctx.quoting ? null : value) });
  assert.deepEqual(row, ['x', '', null, null]);
});

test('CSV: a stream with no record still gets its header; JSONL gets an empty file', () => {
  assert.equal(csvFormat(['id', 'name']).header(), 'id,name\n');
  assert.equal(csvFormat(['id']).lines([]), '');
  assert.equal(jsonlFormat().header(), '');
});

test('JSONL: one JSON object per line, exactly the record, with line breaks inside values escaped', () => {
  const text = String(jsonlFormat().lines(encoded(nasty)));
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  assert.deepEqual(lines.map((l) => JSON.parse(l)), nasty);
});
