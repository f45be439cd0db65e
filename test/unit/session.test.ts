/**
 * When the session logs in again: on Kaltura's clock (expiry less the server time of the answer),
 * so a machine whose clock is a day off neither logs in for every call nor uses an expired KS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppTokenSession } from '../../connector/kaltura/session.js';
import { KalturaTransport } from '../../connector/kaltura/transport.js';
import { AdaptiveLimiter } from '../../connector/kaltura/limiter.js';
import { Logger } from '../../connector/util/logger.js';

/** A Kaltura whose clock is `skewSeconds` away from this machine's, issuing `lifetime`-second sessions. */
async function skewedKaltura(skewSeconds: number, lifetime: number): Promise<{ url: string; logins: () => number; close: () => Promise<void> }> {
  let logins = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const now = Math.floor(Date.now() / 1000) + skewSeconds;
      let body: unknown;
      if (req.url?.includes('/service/session/action/startWidgetSession')) {
        body = { partnerId: 1, ks: `widget-ks-${now}-abcdefgh`, userId: 0, objectType: 'KalturaStartWidgetSessionResponse' };
      } else {
        logins += 1;
        body = { ks: `session-ks-${logins}-abcdefgh`, sessionType: 2, partnerId: 1, userId: '', expiry: now + lifetime, privileges: 'sessionid:0_x', objectType: 'KalturaSessionInfo' };
      }
      const text = JSON.stringify(body);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), Date: new Date(now * 1000).toUTCString() });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logins: () => logins,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sessionAt(url: string, clock: () => number): AppTokenSession {
  const log = new Logger(() => {});
  const transport = new KalturaTransport({ serviceUrl: url, timeoutMs: 5_000, limiter: new AdaptiveLimiter(4), log });
  return new AppTokenSession(transport, { partnerId: 1, appTokenId: '0_x', appToken: 'f'.repeat(32), hashType: 'SHA1', serviceUrl: url }, log, clock);
}

for (const [label, skew] of [
  ['a day ahead of this machine', 86_400],
  ['a day behind this machine', -86_400],
  ['on time', 0],
] as const) {
  test(`Kaltura's clock ${label}: 5-second sessions are shared by concurrent callers and renewed before they expire`, async () => {
    const kaltura = await skewedKaltura(skew, 5);
    try {
      let now = 1_000; // the session's own (monotonic) clock, moved by hand
      const session = sessionAt(kaltura.url, () => now);
      const first = await Promise.all(Array.from({ length: 20 }, () => session.ks()));
      assert.equal(kaltura.logins(), 1, 'twenty concurrent callers, one login');
      assert.equal(new Set(first).size, 1);
      now += 2;
      await Promise.all(Array.from({ length: 20 }, () => session.ks()));
      assert.equal(kaltura.logins(), 1, 'still valid two seconds later: no login per call');
      now += 2.5;
      const renewed = await session.ks();
      assert.equal(kaltura.logins(), 2, 'renewed before the fifth second');
      assert.notEqual(renewed, first[0]);
      assert.equal(session.loginCount, 2);
    } finally {
      await kaltura.close();
    }
  });
}

test('the lifetime in session.info is Kaltura\'s, from the startSession answer\'s Date header', async () => {
  const kaltura = await skewedKaltura(-3_600, 300);
  try {
    const session = sessionAt(kaltura.url, () => performance.now() / 1000);
    await session.ks();
    const info = session.info!;
    assert.ok(info.serverTime !== undefined, 'the server time was kept');
    assert.equal(info.expiry - info.serverTime!, 300);
    assert.ok(Math.abs(info.serverTime! - (Date.now() / 1000 - 3_600)) < 5, 'the server time is the server\'s, an hour behind');
  } finally {
    await kaltura.close();
  }
});
