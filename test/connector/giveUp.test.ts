/**
 * How long a run tries before it gives up, and what it then says: a hung or unreachable host, one
 * step that keeps failing, and servers at service_url that are not the Kaltura API at all. No
 * assertion is on time: the bounds are set small in the config and the outcome and message are
 * checked.
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runConnector, ofType } from '../helpers/cli.js';
import { assertValidMessages } from '../helpers/airbyteSchema.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { run as runRaw } from '../singer/run.js';

let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 300, categories: 10, seed: 8 });
});
after(() => fx.close());

function errorsOf(messages: Array<Record<string, any>>): Array<Record<string, any>> {
  return ofType(messages, 'TRACE').filter((m) => m.trace.type === 'ERROR').map((m) => m.trace.error);
}

async function checkStatus(config: string): Promise<{ status: string; message: string }> {
  const run = await runConnector(['check', '--config', config]);
  assert.equal(run.code, 0);
  assertValidMessages(run.messages);
  const [status] = ofType(run.messages, 'CONNECTION_STATUS');
  return { status: status!.connectionStatus.status, message: status!.connectionStatus.message };
}

interface Site {
  url: string;
  requests: () => number;
  close: () => Promise<void>;
}

/** A loopback web server that is not Kaltura. */
async function site(handler: (res: http.ServerResponse) => void): Promise<Site> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests += 1;
    req.resume();
    req.on('end', () => handler(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<string> {
  const s = await site(() => undefined);
  await s.close();
  return s.url;
}

test('a host where every request hangs: the run gives up on it within max_retry_seconds, says it cannot be reached, and sends nothing after', async () => {
  fx.emulator.control.setFaults({ hangRate: 1 });
  fx.emulator.control.resetRequestCounts();
  try {
    const run = await runConnector(['read', '--config', fx.config('admin', { request_timeout_seconds: 1, max_retry_seconds: 3 }), '--catalog', fx.catalog([['categories', 'full_refresh']])], { timeoutMs: 120_000 });
    assert.notEqual(run.code, 0);
    assertValidMessages(run.messages);
    const [error] = errorsOf(run.messages);
    assert.equal(error?.stream_descriptor.name, 'categories');
    assert.match(error!.message, new RegExp(`^${fx.emulator.url.replace(/\./g, '\\.')} cannot be reached: .* got no answer`));
    assert.match(error!.message, /no answer within 1 s/);
    assert.match(error!.message, /has not answered once within 3 s/);
    // Once given up, the host is not asked again: the first steps (the clock, the widget session)
    // are all it was sent; the token login and the list never went out.
    const sent = Object.keys(fx.emulator.control.requestCounts()).filter((k) => (fx.emulator.control.requestCounts()[k] ?? 0) > 0);
    assert.deepEqual(sent.filter((k) => k !== 'system.gettime' && k !== 'session.startwidgetsession'), [], `sent: ${sent.join(', ')}`);
  } finally {
    fx.emulator.control.clearFaults();
  }
});

test('a host that cannot be reached (a closed port): check, Airbyte read, Singer and cron all say so, as a config_error', async () => {
  const url = await closedPort();
  const config = fx.config('admin', { service_url: url, max_retry_seconds: 2 });
  const { status, message } = await checkStatus(config);
  assert.equal(status, 'FAILED');
  assert.match(message, new RegExp(`^${url.replace(/\./g, '\\.')} cannot be reached: .*ECONNREFUSED`));
  assert.match(message, /right host and port/);

  const read = await runConnector(['read', '--config', config, '--catalog', fx.catalog([['categories', 'full_refresh']])], { timeoutMs: 120_000 });
  assert.notEqual(read.code, 0);
  const [error] = errorsOf(read.messages);
  assert.equal(error?.failure_type, 'config_error');
  assert.match(error!.message, /cannot be reached/);

  const singer = await runRaw('connector', ['--config', config]);
  assert.notEqual(singer.code, 0);
  assert.match(singer.stderr, /cannot be reached: .*ECONNREFUSED/);
  const cron = await runRaw('connector', ['read', '--config', config, '--output', 'jsonl', '--output-dir', `${fx.dir}/unreachable-out`]);
  assert.notEqual(cron.code, 0);
  assert.match(cron.stderr, /cannot be reached: .*ECONNREFUSED/);
});

test('one call that keeps failing on a host that answers ends at max_retry_seconds, and the message names that limit', async () => {
  fx.emulator.control.setFaults({ internalErrorRate: 1, onlyServices: ['category.list'] });
  try {
    const run = await runConnector(['read', '--config', fx.config('admin', { max_retry_seconds: 2 }), '--catalog', fx.catalog([['categories', 'full_refresh']])], { timeoutMs: 120_000 });
    assert.notEqual(run.code, 0);
    const [error] = errorsOf(run.messages);
    assert.equal(error?.failure_type, 'transient_error');
    assert.match(error!.message, /\(INTERNAL_SERVERL_ERROR\) after every retry \(\d+ attempts? in [\d.]+ s, the max_retry_seconds limit of 2 s\)/);
  } finally {
    fx.emulator.control.clearFaults();
  }
});

const foreignServers: Array<{ label: string; status: number; type: string; body: string; named: RegExp }> = [
  { label: 'a server answering 501', status: 501, type: 'text/html', body: '<html><head><title>501 Not Implemented</title></head><body><h1>Not Implemented</h1></body></html>', named: /answered HTTP 501 \(text\/html: "501 Not Implemented"\)/ },
  { label: 'a 405 in plain text', status: 405, type: 'text/plain', body: 'Method Not Allowed', named: /answered HTTP 405 \(text\/plain: "Method Not Allowed"\)/ },
  { label: 'a 404 page', status: 404, type: 'text/html', body: '<!DOCTYPE html><html><head><title>Page not found</title></head><body>Sorry</body></html>', named: /answered HTTP 404 \(text\/html: "Page not found"\)/ },
  { label: 'an HTTP 200 in plain text', status: 200, type: 'text/plain', body: 'It works!', named: /is not a Kaltura API answer but text, not JSON, HTTP 200 \(text\/plain: "It works!"\)/ },
];

for (const server of foreignServers) {
  test(`${server.label} at service_url: "does not point at a Kaltura API", what it answered, one request, not blamed on Kaltura`, async () => {
    const s = await site((res) => {
      res.writeHead(server.status, { 'Content-Type': server.type });
      res.end(server.body);
    });
    try {
      const config = fx.config('admin', { service_url: s.url });
      const { status, message } = await checkStatus(config);
      assert.equal(status, 'FAILED');
      assert.match(message, /service_url does not point at a Kaltura API/);
      assert.match(message, server.named);
      assert.ok(message.includes(s.url), 'names the URL');
      assert.doesNotMatch(message, /contact Kaltura support|load balancer|cut off|kept failing/);
      assert.equal(s.requests(), 1, 'asked once, not retried');

      const read = await runConnector(['read', '--config', config, '--catalog', fx.catalog([['categories', 'full_refresh']])]);
      assert.notEqual(read.code, 0);
      const [error] = errorsOf(read.messages);
      assert.equal(error?.failure_type, 'config_error');
      assert.match(error!.message, /service_url does not point at a Kaltura API/);
    } finally {
      await s.close();
    }
  });
}

test('a 5xx from a host that never answered as Kaltura says it may not be a Kaltura API at all, and does not send the user to Kaltura support', async () => {
  const s = await site((res) => {
    res.writeHead(500, { 'Content-Type': 'text/html' });
    res.end('<html><head><title>Internal Server Error</title></head></html>');
  });
  try {
    const { status, message } = await checkStatus(fx.config('admin', { service_url: s.url, max_retry_seconds: 2 }));
    assert.equal(status, 'FAILED');
    assert.match(message, /has not given one Kaltura API answer in this run; it answered HTTP 500 \(text\/html: "Internal Server Error"\)/);
    assert.match(message, /service_url does not point at a Kaltura API/);
    assert.doesNotMatch(message, /contact Kaltura support/);
  } finally {
    await s.close();
  }
});
