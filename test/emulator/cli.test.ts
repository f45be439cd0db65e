/** `npm run emulator`: the first stdout line is one JSON object; SIGTERM stops it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const main = fileURLToPath(new URL('../../fixtures/emulator/main.js', import.meta.url));

test('main prints {url, partnerId, tokens, counts} first, serves, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [main, '--port', '0', '--entries', '300', '--categories', '12', '--seed', '9', '--latency-ms', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  const info = JSON.parse(first);
  assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(typeof info.partnerId, 'number');
  for (const key of ['admin', 'adminSha1', 'adminMd5', 'adminSha512', 'adminNoEntitlement', 'user', 'userList', 'readOnly', 'disabled', 'expired', 'short', 'blockedPartner', 'blockedUser', 'entitled', 'entitledDisable']) {
    const t = info.tokens[key];
    assert.ok(t, key);
    assert.match(t.id, /^0_[0-9a-z]{8}$/);
    assert.match(t.token, /^[0-9a-f]{32}$/);
    assert.ok(['MD5', 'SHA1', 'SHA256', 'SHA512'].includes(t.hashType));
    assert.equal(typeof t.partnerId, 'number');
  }
  assert.equal(info.counts.entries, 300);
  const r = await fetch(`${info.url}/api_v3/service/session/action/startWidgetSession`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ format: 1, widgetId: `_${info.partnerId}` }) });
  assert.equal(((await r.json()) as { objectType: string }).objectType, 'KalturaStartWidgetSessionResponse');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('the fault flags reach the server: --database-error-rate 1 fails every call it names', async () => {
  const child = spawn(process.execPath, [main, '--port', '0', '--entries', '50', '--categories', '3', '--database-error-rate', '1', '--fault-only', 'session.startwidgetsession'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const info = JSON.parse(first);
    const r = await fetch(`${info.url}/api_v3/service/session/action/startWidgetSession`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ format: 1, widgetId: `_${info.partnerId}` }) });
    assert.equal(((await r.json()) as { code: string }).code, 'INTERNAL_DATABASE_ERROR');
  } finally {
    child.kill('SIGTERM');
  }
});

/** Runs main to its end (it must end by itself) and returns its exit code and output. */
function runToEnd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('a busy port is one line naming the port and the fix, without the usage text', async () => {
  const { createServer } = await import('node:net');
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as { port: number }).port;
  try {
    const run = await runToEnd(['--port', String(port), '--entries', '20', '--categories', '2']);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '', 'no JSON line: nothing is served');
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0]!, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use.*another --port`));
    assert.doesNotMatch(run.stderr, /Usage:|EADDRINUSE/);
  } finally {
    holder.close();
  }
});

test('a mistyped option names the mistake, then the usage (which says npm run --silent)', async () => {
  const run = await runToEnd(['--entires', '20']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--entires/);
  assert.match(run.stderr, /Usage: npm run --silent emulator -- \[options\]/);
});
