import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Emulator } from '../../fixtures/emulator/index.js';
import { runConnector, recordsOf } from '../helpers/cli.js';
import { assertValidMessages } from '../helpers/airbyteSchema.js';
import { startFixture, type Fixture } from '../helpers/setup.js';

// Reads that cross the 10,000-row cap (users), seconds holding more rows than a page (a bulk
// category assignment, a user sync job, bulk-updated entries' assets) and session refreshes.
let fx: Fixture;
before(async () => {
  fx = await startFixture({ entries: 2500, categories: 40, seed: 5, users: 10_600 });
});
after(() => fx.close());

async function read(streams: string[], token: string, extra: Record<string, unknown>) {
  const args = ['read', '--config', fx.config(token, extra), '--catalog', fx.catalog(streams.map((s) => [s, 'full_refresh']))];
  const run = await runConnector(args);
  assert.equal(run.code, 0, run.stderr + run.stdout.slice(-2000));
  assertValidMessages(run.messages);
  return run;
}

function assertComplete(stream: string, records: Array<Record<string, any>>, key: (r: Record<string, any>) => string | number): void {
  const truth = fx.emulator.control.truth(stream as never);
  const got = new Set(records.map(key));
  assert.equal(got.size, truth.length, `${stream}: every object once`);
  for (const t of truth) assert.ok(got.has(t.id), `${stream}: ${t.id} was read`);
}

test('users past the 10,000-row cap, with a crowded second paged in id order', async () => {
  const truth = fx.emulator.control.truth('users');
  assert.ok(truth.length > 10_000, 'more users than the cap');
  const counts = new Map<number, number>();
  for (const t of truth) counts.set(t.updatedAt, (counts.get(t.updatedAt) ?? 0) + 1);
  assert.ok(Math.max(...counts.values()) > 500, 'a second holds more than a page');
  const run = await read(['users'], 'readOnly', {});
  assertComplete('users', recordsOf(run.messages, 'users'), (r) => r.id);
});

/**
 * A loopback proxy in front of the emulator that moves the emulator's clock `step` seconds before
 * each list call it forwards, and notes the KS each call carried and the INVALID_KS answers. With
 * sessions of N seconds, every session then expires after about N list calls whatever the wall
 * clock does, so renewals happen at points set by the read itself, not by how fast the machine is.
 */
async function clockStepProxy(emu: Emulator, step: number) {
  const sessionsOf = new Map<string, Set<string>>();
  let refused = 0;
  const target = new URL(emu.url);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const list = /\/service\/([a-z_]+)\/action\/list$/.exec(req.url ?? '');
      if (list) {
        const ks = String((JSON.parse(body.toString('utf8')) as { ks?: unknown }).ks ?? '');
        const key = `${list[1]}.list`;
        sessionsOf.set(key, (sessionsOf.get(key) ?? new Set()).add(ks));
        emu.control.advanceClock(step);
      }
      const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (b: Buffer) => parts.push(b));
        answer.on('end', () => {
          const text = Buffer.concat(parts);
          if (list && text.includes('"code":"INVALID_KS"')) refused++;
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(text);
        });
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sessionsOf,
    refused: () => refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('crowded seconds of category links, users and assets, small pages, every new stream across many sessions', async () => {
  const c = fx.emulator.control;
  const cat = c.truth('categories')[3]!.id as number;
  const bulk = c.bulkAddCategoryEntries(cat, 400);
  assert.equal(bulk.length, 400, '400 links made in one second');
  // A read covers the seconds before the one it starts in.
  c.advanceClock(2);
  c.resetRequestCounts();
  // 20-second sessions on a clock that moves a second per list call: a session serves about 20
  // calls, then Kaltura refuses it (INVALID_KS EXPIRED) and the connector must log in again and
  // resend the call. More calls are never in flight at once than a session serves.
  c.setTokenSessionDuration('short', 20);
  const proxy = await clockStepProxy(fx.emulator, 1);
  try {
    const streams = ['category_entries', 'flavor_assets', 'metadata', 'users', 'caption_assets', 'metadata_profiles'];
    const run = await read(streams, 'short', { page_size: 50, service_url: proxy.url });
    assertComplete('category_entries', recordsOf(run.messages, 'category_entries'), (r) => `${r.categoryId}:${r.entryId}`);
    for (const s of streams.slice(1)) assertComplete(s, recordsOf(run.messages, s), (r) => r.id);

    const calls = Object.entries(c.requestCounts()).filter(([key]) => key.endsWith('.list')).reduce((n, [, v]) => n + v, 0);
    const logins = c.requestCounts()['apptoken.startsession'] ?? 0;
    assert.ok(calls > 100, `a long read (${calls} list calls)`);
    assert.ok(proxy.refused() > 0, 'Kaltura refused expired sessions during the read');
    // A session lasts about 20 calls: far fewer logins would mean sessions were not renewed.
    assert.ok(logins >= Math.floor(calls / 40), `the read logged in again and again (${logins} logins for ${calls} list calls)`);
    // The streams with many calls each ran on several sessions (metadata_profiles is one call).
    for (const key of ['categoryentry.list', 'user.list', 'baseentry.list']) {
      assert.ok((proxy.sessionsOf.get(key)?.size ?? 0) >= 2, `${key} was called with ${proxy.sessionsOf.get(key)?.size ?? 0} sessions`);
    }
    for (const key of ['flavorasset.list', 'metadata_metadata.list', 'caption_captionasset.list', 'metadata_metadataprofile.list']) {
      assert.ok((proxy.sessionsOf.get(key)?.size ?? 0) >= 1, `${key} was called`);
    }
  } finally {
    await proxy.close();
  }
});
