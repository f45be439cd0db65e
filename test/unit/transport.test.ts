/**
 * The transport against tiny loopback servers that answer what a real network can: web pages,
 * statuses other than 200, Retry-After, resets, cut bodies, no answer at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KalturaTransport, isCutJson, isRetryableStatus, retryWaitMs } from '../../connector/kaltura/transport.js';
import { AdaptiveLimiter } from '../../connector/kaltura/limiter.js';
import { ConnectorError } from '../../connector/util/errors.js';
import { Logger } from '../../connector/util/logger.js';

interface Stub {
  url: string;
  /** performance.now() of each request's arrival. */
  arrivals: number[];
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, index: number) => void;

async function stub(handler: Handler): Promise<Stub> {
  const arrivals: number[] = [];
  const server = http.createServer((req, res) => {
    arrivals.push(performance.now());
    req.resume();
    req.on('end', () => handler(req, res, arrivals.length - 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const ok = '{"objects":[],"totalCount":0,"objectType":"KalturaMediaListResponse"}';
const send = (res: http.ServerResponse, status: number, body: string, headers: http.OutgoingHttpHeaders = {}) => {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
};

function transport(url: string, over: { retries?: number; timeoutMs?: number; maxRetryTimeMs?: number; minBackoffMs?: number; warnings?: string[] } = {}): KalturaTransport {
  return new KalturaTransport({
    serviceUrl: url,
    timeoutMs: over.timeoutMs ?? 10_000,
    retries: over.retries ?? 3,
    maxRetryTimeMs: over.maxRetryTimeMs ?? 60_000,
    minBackoffMs: over.minBackoffMs ?? 10,
    limiter: new AdaptiveLimiter(2),
    log: new Logger((level, message) => {
      if (level === 'WARN') over.warnings?.push(message);
    }),
  });
}

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ConnectorError, `a ConnectorError, not ${String(err)}`);
    return err;
  }
  assert.fail('the call succeeded');
}

test('an HTML page at service_url is "not a Kaltura API answer", not an XML answer, and is not retried', async () => {
  for (const page of ['<!DOCTYPE html><html><head><title>Portal</title></head><body>Welcome</body></html>', '\n  <html lang="en"><body>Sign in</body></html>', '<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"><html></html>']) {
    const s = await stub((_req, res) => send(res, 200, page, { 'Content-Type': 'text/html' }));
    try {
      const error = await failure(transport(s.url).call('media', 'list', {}));
      assert.equal(error.failureType, 'config_error');
      assert.match(error.message, /is not a Kaltura API answer/);
      assert.match(error.message, /HTML page/);
      assert.ok(error.message.includes(s.url), 'names the configured URL');
      assert.match(error.message, /service_url/);
      assert.doesNotMatch(error.message, /XML instead of JSON/);
      assert.equal(s.arrivals.length, 1, 'not retried');
    } finally {
      await s.close();
    }
  }
});

test('Kaltura\'s own XML answer still says the JSON body was ignored', async () => {
  const s = await stub((_req, res) => send(res, 200, '<?xml version="1.0" encoding="utf-8"?><xml><result><error><code>MISSING_KS</code></error></result></xml>', { 'Content-Type': 'text/xml' }));
  try {
    const error = await failure(transport(s.url).call('media', 'list', {}));
    assert.match(error.message, /XML instead of JSON/);
    assert.ok(error.message.includes(s.url));
  } finally {
    await s.close();
  }
});

test('HTTP 404 is not retried: a config_error naming the service_url', async () => {
  const s = await stub((_req, res) => send(res, 404, '<html><body><h1>404 Not Found</h1></body></html>', { 'Content-Type': 'text/html' }));
  try {
    const warnings: string[] = [];
    const error = await failure(transport(s.url, { retries: 5, warnings }).call('media', 'list', {}));
    assert.equal(error.failureType, 'config_error');
    assert.match(error.message, /HTTP 404/);
    assert.ok(error.message.includes(s.url), 'names the configured URL');
    assert.match(error.message, /Check that service_url is your Kaltura API host/);
    assert.equal(s.arrivals.length, 1, 'sent once');
    assert.deepEqual(warnings, [], 'no retry was logged');
  } finally {
    await s.close();
  }
});

test('other 4xx and redirects are not retried either; a redirect names where it leads', async () => {
  for (const [status, headers] of [[401, {}], [403, {}], [400, {}], [301, { Location: 'https://api.moved.example/api_v3/service/media/action/list' }]] as const) {
    const s = await stub((_req, res) => send(res, status, '', headers));
    try {
      const error = await failure(transport(s.url).call('media', 'list', {}));
      assert.equal(error.failureType, 'config_error', `HTTP ${status}`);
      assert.match(error.message, new RegExp(`HTTP ${status}`));
      if (status === 301) assert.match(error.message, /redirects to https:\/\/api\.moved\.example/);
      assert.equal(s.arrivals.length, 1, `HTTP ${status} sent once`);
    } finally {
      await s.close();
    }
  }
});

test('408, 429 and 5xx are retried, and succeed when the server recovers', async () => {
  for (const status of [408, 429, 500, 502, 503, 504]) {
    const s = await stub((_req, res, i) => (i === 0 ? send(res, status, 'busy', { 'Content-Type': 'text/html' }) : send(res, 200, ok)));
    try {
      const answer = await transport(s.url).call<{ totalCount: number }>('media', 'list', {});
      assert.equal(answer.totalCount, 0);
      assert.equal(s.arrivals.length, 2, `HTTP ${status} retried once`);
    } finally {
      await s.close();
    }
  }
  assert.deepEqual([200, 404, 408, 429, 499, 500, 599, 600].map(isRetryableStatus), [false, false, true, true, false, true, true, false]);
});

test('a 5xx that persists is a transient_error after every retry, naming the configured URL', async () => {
  const s = await stub((_req, res) => send(res, 503, 'down', { 'Content-Type': 'text/html' }));
  try {
    const error = await failure(transport(s.url, { retries: 2 }).call('media', 'list', {}));
    assert.equal(error.failureType, 'transient_error');
    assert.match(error.message, /media\.list kept failing \(HTTP 503\) after every retry/);
    assert.ok(error.message.includes(s.url), 'the URL, not the word service_url');
    assert.equal(s.arrivals.length, 3);
  } finally {
    await s.close();
  }
});

test('Retry-After: 1 is honoured: the retry comes at least a second later, though the backoff is 10 ms', async () => {
  const s = await stub((_req, res, i) => (i === 0 ? send(res, 429, 'slow down', { 'Retry-After': '1' }) : send(res, 200, ok)));
  try {
    const warnings: string[] = [];
    await transport(s.url, { minBackoffMs: 10, warnings }).call('media', 'list', {});
    assert.equal(s.arrivals.length, 2);
    const gap = s.arrivals[1]! - s.arrivals[0]!;
    assert.ok(gap >= 950, `retried after ${gap.toFixed(0)} ms`);
    assert.match(warnings[0] ?? '', /asked to wait 1 s/);
  } finally {
    await s.close();
  }
});

test('a Retry-After wait ends when the read is abandoned', { timeout: 15_000 }, async () => {
  const s = await stub((_req, res) => send(res, 429, 'slow down', { 'Retry-After': '30' }));
  try {
    const controller = new AbortController();
    const call = transport(s.url, { maxRetryTimeMs: 120_000 }).call('media', 'list', {}, controller.signal);
    while (s.arrivals.length === 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    const reason = new Error('stopped by the test');
    controller.abort(reason);
    await assert.rejects(call, (err) => err === reason);
    assert.equal(s.arrivals.length, 1, 'no request after the abort');
  } finally {
    await s.close();
  }
});

test('a Retry-After longer than the retry budget left is cut to it', { timeout: 15_000 }, async () => {
  const s = await stub((_req, res) => send(res, 429, 'slow down', { 'Retry-After': '30' }));
  try {
    const error = await failure(transport(s.url, { maxRetryTimeMs: 1_000, retries: 8 }).call('media', 'list', {}));
    assert.equal(error.failureType, 'transient_error');
    assert.match(error.message, /HTTP 429/);
    assert.match(error.message, /rate-limiting/);
  } finally {
    await s.close();
  }
});

test('the wait before a retry: the backoff, or Retry-After when longer (at most a minute), never past the budget left', () => {
  assert.equal(retryWaitMs(0, 500, undefined, 600_000, 0), 500);
  assert.equal(retryWaitMs(3, 500, undefined, 600_000, 0), 4_000);
  assert.equal(retryWaitMs(3, 500, undefined, 600_000, 0.5), 6_000, 'jitter stretches it');
  assert.equal(retryWaitMs(20, 500, undefined, 600_000, 0), 30_000, 'the backoff is capped');
  assert.equal(retryWaitMs(0, 500, 1_000, 600_000, 0), 1_000, 'Retry-After and the backoff are not added up');
  assert.equal(retryWaitMs(3, 500, 1_000, 600_000, 0), 4_000, 'a longer backoff covers Retry-After');
  assert.equal(retryWaitMs(0, 500, 120_000, 600_000, 0), 60_000, 'at most a minute');
  assert.equal(retryWaitMs(0, 500, 30_000, 2_000, 0), 2_000, 'never past the budget left');
  assert.equal(retryWaitMs(0, 500, 30_000, -5, 0), 0);
});

test('a request that gets no answer ends at the per-request timeout, and is retried', async () => {
  const s = await stub(() => {
    /* never answers */
  });
  try {
    const started = performance.now();
    const error = await failure(transport(s.url, { timeoutMs: 1_000, retries: 1 }).call('media', 'list', {}));
    assert.ok(performance.now() - started >= 1_900, 'two attempts of a second each');
    assert.equal(error.failureType, 'transient_error');
    assert.match(error.message, /no answer within 1 s/);
    assert.match(error.message, /request_timeout_seconds/);
    assert.ok(error.message.includes(s.url));
    assert.equal(s.arrivals.length, 2);
  } finally {
    await s.close();
  }
});

test('a reset connection and a cut-off body are retried, then reported as such', async () => {
  const reset = await stub((req) => req.socket.destroy());
  const cut = await stub((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': ok.length * 2 });
    res.write(ok.slice(0, 20), () => res.socket?.destroy());
  });
  try {
    const r = await failure(transport(reset.url, { retries: 1 }).call('media', 'list', {}));
    assert.equal(r.failureType, 'transient_error');
    assert.match(r.message, /network error/);
    assert.match(r.message, /reachable/);
    assert.equal(reset.arrivals.length, 2);
    const c = await failure(transport(cut.url, { retries: 1 }).call('media', 'list', {}));
    assert.equal(c.failureType, 'transient_error');
    assert.match(c.message, /cut off/);
    assert.equal(cut.arrivals.length, 2);
  } finally {
    await reset.close();
    await cut.close();
  }
});

test('a 200 with half a JSON document is a cut answer, retried', async () => {
  const s = await stub((_req, res, i) => (i === 0 ? send(res, 200, ok.slice(0, 25)) : send(res, 200, ok)));
  try {
    await transport(s.url).call('media', 'list', {});
    assert.equal(s.arrivals.length, 2);
  } finally {
    await s.close();
  }
});

test('the server\'s clock comes from the answer\'s Date header', async () => {
  const date = 'Wed, 01 Jan 2031 00:00:07 GMT';
  const s = await stub((_req, res) => send(res, 200, ok, { Date: date }));
  try {
    const { serverTime } = await transport(s.url).callWithServerTime('media', 'list', {});
    assert.equal(serverTime, Date.parse(date) / 1000);
  } finally {
    await s.close();
  }
});

test('a web server that is not Kaltura (501, 405, 404, HTML or not) is said so with what it answered, sent once', async () => {
  const pages: Array<[number, string, string, RegExp]> = [
    [501, 'text/html', '<html><head><title>501 Not Implemented</title></head><body><h1>Not Implemented</h1></body></html>', /HTTP 501 \(text\/html: "501 Not Implemented"\)/],
    [405, 'text/plain', 'Method Not Allowed', /HTTP 405 \(text\/plain: "Method Not Allowed"\)/],
    [404, 'text/html; charset=utf-8', '<!DOCTYPE html>\n<html><body>\n  <p>The page   you asked for</p>\n</body></html>', /HTTP 404 \(text\/html: "The page you asked for"\)/],
  ];
  for (const [status, type, body, named] of pages) {
    const s = await stub((_req, res) => send(res, status, body, { 'Content-Type': type }));
    try {
      const warnings: string[] = [];
      const error = await failure(transport(s.url, { retries: 5, warnings }).call('session', 'startWidgetSession', {}));
      assert.equal(error.failureType, 'config_error');
      assert.match(error.message, /service_url does not point at a Kaltura API/);
      assert.match(error.message, named);
      assert.doesNotMatch(error.message, /contact Kaltura support|load balancer/);
      assert.equal(s.arrivals.length, 1, `HTTP ${status} sent once`);
      assert.deepEqual(warnings, []);
    } finally {
      await s.close();
    }
  }
});

test('an HTTP 200 that is not JSON is not a cut answer: said at once, not retried', async () => {
  for (const [type, body, what] of [['text/plain', 'Hello from nginx', /text, not JSON/], ['application/json', 'OK', /text, not JSON/], ['text/plain', '', /an empty answer/]] as const) {
    const s = await stub((_req, res) => send(res, 200, body, { 'Content-Type': type }));
    try {
      const error = await failure(transport(s.url, { retries: 5 }).call('system', 'getTime', {}));
      assert.equal(error.failureType, 'config_error');
      assert.match(error.message, /service_url does not point at a Kaltura API: the answer from .* is not a Kaltura API answer/);
      assert.match(error.message, what);
      assert.ok(error.message.includes(type.split(';')[0]!), 'names the content type');
      assert.doesNotMatch(error.message, /cut off/);
      assert.equal(s.arrivals.length, 1, `${JSON.stringify(body)} sent once`);
    } finally {
      await s.close();
    }
  }
});

test('JSON cut short is told from text that is not JSON', () => {
  const parseError = (text: string) => {
    try {
      JSON.parse(text);
    } catch (err) {
      return err;
    }
    assert.fail(`${text} parsed`);
  };
  for (const cut of [ok.slice(0, 25), ok.slice(0, 1), '{"objects":[{"id":"0_a"},{"id":"0_b', '[1,2', '{"a":12.', '{"a":tr']) assert.equal(isCutJson(cut, parseError(cut)), true, cut);
  for (const other of ['Hello', 'OK', '{"a":1}x', '{a:1}', '<html>', 'null null']) assert.equal(isCutJson(other, parseError(other)), false, other);
});

test('what a foreign server answered is quoted without the secrets it may echo', async () => {
  const { secrets } = await import('../../connector/util/redact.js');
  const token = 'feedfacefeedfacefeedfacefeedface';
  secrets.add(token);
  const s = await stub((_req, res) => send(res, 404, `no route for token ${token} from http://user:pw@proxy.example`, { 'Content-Type': 'text/plain' }));
  try {
    const error = await failure(transport(s.url).call('media', 'list', {}));
    assert.match(error.message, /HTTP 404/);
    assert.ok(!error.message.includes(token) && !error.message.includes('user:pw'), error.message);
  } finally {
    await s.close();
  }
});

test('one failing call gives up when its time is spent, however many retries are left, and says which limit ended it', async () => {
  const s = await stub((_req, res) => send(res, 503, 'busy', { 'Content-Type': 'text/plain' }));
  try {
    const error = await failure(transport(s.url, { retries: 1_000, maxRetryTimeMs: 1_500, minBackoffMs: 100 }).call('media', 'list', {}));
    assert.equal(error.failureType, 'transient_error');
    assert.match(error.message, /kept failing \(HTTP 503\) after every retry \(\d+ attempts in [\d.]+ s, the max_retry_seconds limit of 1\.5 s\)/);
    assert.ok(s.arrivals.length < 1_000, 'the time limit, not the retry count, ended it');
  } finally {
    await s.close();
  }
});

test('a host that never answers is given up as unreachable, and the run sends nothing more to it', async () => {
  const s = await stub(() => {
    /* never answers */
  });
  try {
    const t = transport(s.url, { timeoutMs: 300, retries: 1_000, maxRetryTimeMs: 1_500 });
    const first = await failure(t.call('system', 'getTime', {}));
    assert.match(first.message, new RegExp(`^${s.url.replace(/\./g, '\\.')} cannot be reached: system\\.getTime got no answer`));
    assert.match(first.message, /no request of this run has had an answer from it/);
    assert.match(first.message, /has not answered once within 1\.5 s/);
    const sent = s.arrivals.length;
    // The next step (the login) is not retried all over again: it fails at once with the same message.
    const second = await failure(t.call('session', 'startWidgetSession', {}));
    assert.equal(second.message, first.message);
    assert.equal(s.arrivals.length, sent, 'nothing more was sent');
  } finally {
    await s.close();
  }
});

test('a closed port is "cannot be reached", a config_error', async () => {
  const s = await stub(() => undefined);
  const url = s.url;
  await s.close();
  const error = await failure(transport(url, { retries: 1_000, maxRetryTimeMs: 1_000 }).call('session', 'startWidgetSession', {}));
  assert.equal(error.failureType, 'config_error');
  assert.match(error.message, /cannot be reached: .*ECONNREFUSED/);
  assert.match(error.message, /right host and port/);
});

test('a host that has answered is not "unreachable" when it stops answering: the call fails on its own budget', async () => {
  const s = await stub((_req, res, i) => {
    if (i === 0) send(res, 200, ok);
  });
  try {
    const t = transport(s.url, { timeoutMs: 300, retries: 2 });
    await t.call('media', 'list', {});
    const error = await failure(t.call('media', 'list', {}));
    assert.match(error.message, /media\.list kept failing \(no answer within 0 s\) after every retry|media\.list kept failing \(no answer within/);
    assert.doesNotMatch(error.message, /cannot be reached/);
  } finally {
    await s.close();
  }
});
