// What `npm test` prints (test/helpers/reporter.ts): one line per failing test, each note of the
// tests once (which Airbyte schema they validated against, printed by every test file), then node's
// closing summary lines and "N passed, N failed", which CI reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import reporter from '../helpers/reporter.js';

async function report(events: Array<{ type: string; data: Record<string, unknown> }>): Promise<string> {
  async function* source() {
    yield* events;
  }
  let out = '';
  for await (const chunk of reporter(source() as never)) out += chunk;
  return out;
}

const file = join(process.cwd(), 'dist', 'test', 'cron', 'read.test.js');
const note = '# Airbyte messages validated against a fallback, the project\'s own schemas in connector/protocol/airbyte/schemas: the official protocol schema is not at /x/shared/reference/airbyte_protocol.yaml';
const summary = ['tests 4', 'suites 0', 'pass 2', 'fail 2', 'cancelled 0', 'skipped 0', 'todo 0', 'duration_ms 12.5'];

test('failures as one line each, the schema note once, passes silent, node\'s summary and a plain count last', async () => {
  const assertion = Object.assign(new Error('the file holds 3 records'), { generatedMessage: false });
  const wrapped = (cause: Error, failureType: string) => Object.assign(new Error(`wrapper\n${cause.message}`), { cause, failureType });
  const out = await report([
    { type: 'test:stderr', data: { file, message: `${note}\n` } },
    { type: 'test:pass', data: { file, name: 'a test that passes', nesting: 0, details: {} } },
    { type: 'test:stderr', data: { file, message: `${note}\nsome other stderr line\n` } },
    { type: 'test:fail', data: { file, name: 'the CSV has every record', nesting: 1, details: { error: wrapped(assertion, 'testCodeFailure') } } },
    { type: 'test:fail', data: { file, name: 'a suite', nesting: 0, details: { error: wrapped(new Error('1 subtest failed'), 'subtestsFailed') } } },
    { type: 'test:fail', data: { file, name: 'multi-line', nesting: 0, details: { error: wrapped(new Error('first line\nsecond line'), 'testCodeFailure') } } },
    { type: 'test:diagnostic', data: { nesting: 1, message: 'a diagnostic of one test' } },
    ...summary.map((message) => ({ type: 'test:diagnostic', data: { nesting: 0, message } })),
  ]);
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.filter((l) => l === note).length, 1, 'the note once');
  assert.deepEqual(
    lines.filter((l) => l.startsWith('✖')),
    [`✖ ${join('dist', 'test', 'cron', 'read.test.js')} › the CSV has every record: the file holds 3 records`, `✖ ${join('dist', 'test', 'cron', 'read.test.js')} › multi-line: first line`],
    'one line per failing test, not the suite that failed through it',
  );
  assert.doesNotMatch(out, /a test that passes|some other stderr line|a diagnostic of one test/);
  assert.deepEqual(lines.slice(-summary.length - 1), [...summary.map((m) => `# ${m}`), '2 passed, 2 failed']);
});

test('a run without failures is the summary alone', async () => {
  const out = await report(['tests 1', 'pass 1', 'fail 0'].map((message) => ({ type: 'test:diagnostic', data: { nesting: 0, message } })));
  assert.equal(out, '# tests 1\n# pass 1\n# fail 0\n1 passed, 0 failed\n');
});
