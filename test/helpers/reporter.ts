// The reporter of `npm test` (node --test --test-reporter=./dist/test/helpers/reporter.js): what a
// person reads after a run. One line per failing test, each note the tests print (lines starting
// with "# ", e.g. which Airbyte schema they validate against) once, then node's own closing summary
// lines ("# tests N", "# pass N", "# fail N", ...) and "N passed, N failed". Every test's name and
// output: `npm run test:verbose`.
import { relative } from 'node:path';

interface TestEvent {
  type: string;
  data: {
    name?: string;
    nesting?: number;
    file?: string;
    message?: string;
    details?: { error?: Error & { failureType?: string; cause?: unknown } };
  };
}

const SUMMARY = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) \d/;

/** The first line of what went wrong: the assertion's own message rather than node's wrapper. */
function why(error: (Error & { cause?: unknown }) | undefined): string {
  const cause = error?.cause instanceof Error ? error.cause : error;
  const text = String(cause?.message ?? cause ?? 'failed').trim();
  const first = text.split('\n').find((l) => l.trim() !== '') ?? text;
  return first.length > 300 ? `${first.slice(0, 300)}...` : first;
}

function where(file: string | undefined, name: string | undefined): string {
  const path = file ? relative(process.cwd(), file) : '';
  return path && name && name !== file ? `${path} › ${name}` : path || name || '(unnamed)';
}

export default async function* reporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const notes = new Set<string>();
  const summary: string[] = [];
  const counts = { pass: 0, fail: 0 };
  let failures = 0;
  for await (const event of source) {
    const { data } = event;
    if (event.type === 'test:fail') {
      // A test that failed only because a subtest did is already named by that subtest.
      if (data.details?.error?.failureType === 'subtestsFailed') continue;
      failures += 1;
      yield `✖ ${where(data.file, data.name)}: ${why(data.details?.error)}\n`;
    } else if (event.type === 'test:stderr' || event.type === 'test:stdout') {
      for (const line of (data.message ?? '').split('\n')) {
        if (line.startsWith('# ') && !notes.has(line)) {
          notes.add(line);
          yield `${line}\n`;
        }
      }
    } else if (event.type === 'test:diagnostic' && (data.nesting ?? 0) === 0 && SUMMARY.test(data.message ?? '')) {
      const [key, value] = (data.message ?? '').split(' ');
      if (key === 'pass' || key === 'fail') counts[key] = Number(value);
      summary.push(`# ${data.message}\n`);
    }
  }
  if (failures > 0) yield '\nThe failures are listed above; `npm run test:verbose` shows every test and its output.\n';
  yield* summary;
  yield `${counts.pass} passed, ${counts.fail} failed\n`;
}
