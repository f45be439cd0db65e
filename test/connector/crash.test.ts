/**
 * The bins' last resort: a failure nothing else reported is printed as one line, and that line
 * goes through the same redaction as every other (it may quote a URL with its user info or a token).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers/paths.js';
import { crashLine } from '../../connector/util/crash.js';
import { secrets } from '../../connector/util/redact.js';

const token = 'c0ffeec0ffeec0ffeec0ffeec0ffee00';

test('the crash line of both bins hides registered secrets and URL credentials', () => {
  secrets.add(token);
  const line = crashLine('source-kaltura', new Error(`token ${token} refused at https://user:s3cr3tpw@proxy.example/api_v3`));
  assert.match(line, /^source-kaltura: unexpected failure: token \*\*\* refused at https:\/\/\*\*\*@proxy\.example\/api_v3\n$/);
  assert.equal(crashLine('tap-kaltura', 'plain https://u:pw@h.example'), 'tap-kaltura: unexpected failure: plain https://***@h.example\n');
});

test('a failure that escapes the program reaches the crash line of each bin, redacted', () => {
  // A stdout that throws (as a closed pipe can), with a secret the program registered in the message.
  const dir = mkdtempSync(join(tmpdir(), 'crash-'));
  const preload = join(dir, 'preload.mjs');
  const redact = pathToFileURL(join(repoRoot, 'dist/connector/util/redact.js')).href;
  writeFileSync(
    preload,
    `import { secrets } from ${JSON.stringify(redact)};
secrets.add(${JSON.stringify(token)});
process.stdout.write = () => { throw new Error('could not write for ${token} to https://user:s3cr3tpw@proxy.example'); };
`,
  );
  for (const [bin, args] of [['connector/index.js', ['spec']], ['connector/tap.js', ['--about']]] as const) {
    const run = spawnSync(process.execPath, [join(repoRoot, bin), ...args], { env: { ...process.env, NODE_OPTIONS: `--import=${pathToFileURL(preload).href}` }, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 1, `${bin}: ${run.stderr}`);
    assert.match(run.stderr, /unexpected failure: could not write for \*\*\* to https:\/\/\*\*\*@proxy\.example/, bin);
    assert.ok(!run.stderr.includes(token) && !run.stderr.includes('s3cr3tpw'), run.stderr);
  }
});
