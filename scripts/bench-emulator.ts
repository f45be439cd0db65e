/**
 * Emulator benchmark. For each account size it starts the emulator CLI in its own process (as the
 * connector would meet it), records generation time and the process's memory, then reads every
 * media entry (every status, moderation and displayInSearch) with the keyset reader of the API
 * page: orderBy +updatedAt, updatedAtGreaterThanOrEqual, idNotIn; a second holding 500 rows or
 * more is read on its own, ordered by createdAt. Reports per-page latency as seen by the client
 * (HTTP round trip and JSON parse) and as spent in the server (X-Emulator-Ms). Prints Markdown.
 *
 *   node dist/scripts/bench-emulator.js [--sizes 200000,1000000] [--categories 500] [--seed 1] [--page-size 500]
 */
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import http from 'node:http';

const MAIN = fileURLToPath(new URL('../fixtures/emulator/main.js', import.meta.url));
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

interface Started {
  child: ChildProcess;
  url: string;
  partnerId: number;
  tokens: Record<string, { id: string; token: string; hashType: string }>;
  counts: { entries: number; mediaEntries: number };
  generationMs: number;
}

async function startChild(entries: number, categories: number, seed: number): Promise<Started> {
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--entries', String(entries), '--categories', String(categories), '--seed', String(seed)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let generationMs = NaN;
  createInterface({ input: child.stderr! }).on('line', (l) => {
    const m = /generated in (\d+) ms/.exec(l);
    if (m) generationMs = Number(m[1]);
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator exited ${code}`)));
  });
  await new Promise((r) => setTimeout(r, 50));
  return { child, generationMs, ...JSON.parse(line) };
}

function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

function call(url: string, service: string, action: string, params: Record<string, unknown>): Promise<{ body: any; serverMs: number }> {
  const body = JSON.stringify({ format: 1, ...params });
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api_v3/service/${service}/action/${action}`, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), serverMs: Number(res.headers['x-emulator-ms'] ?? NaN) });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function login(s: Started): Promise<string> {
  const t = s.tokens.admin;
  if (!t) throw new Error('no admin token');
  const w = (await call(s.url, 'session', 'startWidgetSession', { widgetId: `_${s.partnerId}` })).body;
  const hash = createHash(t.hashType.toLowerCase()).update(w.ks + t.token).digest('hex');
  return (await call(s.url, 'apptoken', 'startSession', { ks: w.ks, id: t.id, tokenHash: hash })).body.ks;
}

const EVERYTHING = { objectType: 'KalturaMediaEntryFilter', statusIn: '-2,-1,0,1,2,3,4,5,6,7', moderationStatusIn: '1,2,3,4,5,6', displayInSearchIn: '-2,-1,0,1,2' };

interface ReadStats {
  pages: number;
  client: number[];
  server: number[];
}

/** Keyset read over `field`, optionally inside one updatedAt second. */
async function keysetRead(url: string, ks: string, field: 'updatedAt' | 'createdAt', seen: Set<string>, stats: ReadStats, pageSize: number, within?: number): Promise<void> {
  let from: number | null = null;
  let notIn: string[] = [];
  for (;;) {
    const filter: Record<string, unknown> = { ...EVERYTHING, orderBy: `+${field}` };
    if (within !== undefined) {
      filter.updatedAtGreaterThanOrEqual = within;
      filter.updatedAtLessThanOrEqual = within;
    }
    if (from !== null) filter[`${field}GreaterThanOrEqual`] = from;
    if (notIn.length) filter.idNotIn = notIn.join(',');
    const t = performance.now();
    const { body: r, serverMs } = await call(url, 'media', 'list', { ks, filter, pager: { objectType: 'KalturaFilterPager', pageSize, pageIndex: 1 } });
    stats.client.push(performance.now() - t);
    stats.server.push(serverMs);
    if (r.objectType !== 'KalturaMediaListResponse') throw new Error(`unexpected answer ${JSON.stringify(r)}`);
    stats.pages++;
    for (const o of r.objects) seen.add(o.id);
    if (r.objects.length < pageSize) return;
    const last: number = r.objects[r.objects.length - 1][field];
    const atLast: string[] = r.objects.filter((o: any) => o[field] === last).map((o: any) => o.id);
    const ids = last === from ? [...notIn, ...atLast] : atLast;
    if (ids.length >= 500) {
      if (field !== 'updatedAt') throw new Error(`more than 500 rows share ${field} ${last}`);
      await keysetRead(url, ks, 'createdAt', seen, stats, pageSize, last); // one crowded second, read by createdAt
      from = last + 1;
      notIn = [];
    } else {
      from = last;
      notIn = ids;
    }
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

async function benchOne(entries: number, categories: number, seed: number, pageSize: number): Promise<string> {
  const s = await startChild(entries, categories, seed);
  try {
    const pid = s.child.pid as number;
    const afterStart = memoryOf(pid);
    const ks = await login(s);
    const stats: ReadStats = { pages: 0, client: [], server: [] };
    const seen = new Set<string>();
    const t1 = performance.now();
    await keysetRead(s.url, ks, 'updatedAt', seen, stats, pageSize);
    const readMs = performance.now() - t1;
    const afterRead = memoryOf(pid);
    if (seen.size !== s.counts.mediaEntries) throw new Error(`read ${seen.size} of ${s.counts.mediaEntries} media entries`);
    const f = (n: number): string => n.toFixed(1);
    return `| ${entries.toLocaleString('en-US')} | ${(s.generationMs / 1000).toFixed(2)} | ${afterStart.rss.toFixed(0)} | ${afterRead.peak.toFixed(0)} | ${stats.pages} | ${seen.size.toLocaleString('en-US')} | ${f(pct(stats.server, 50))} / ${f(pct(stats.server, 95))} | ${f(pct(stats.client, 50))} / ${f(pct(stats.client, 95))} / ${f(Math.max(...stats.client))} | ${(readMs / 1000).toFixed(1)} |`;
  } finally {
    s.child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { sizes: { type: 'string' }, categories: { type: 'string' }, seed: { type: 'string' }, 'page-size': { type: 'string' } } });
  const sizes = (values.sizes ?? '200000,1000000').split(',').map(Number);
  const categories = Number(values.categories ?? 500);
  const seed = Number(values.seed ?? 1);
  const pageSize = Number(values['page-size'] ?? 500);
  const lines = [
    `| entries | generation (s) | RSS after start (MB) | peak RSS after full read (MB) | media.list pages (${pageSize} rows) | media entries read | server ms per page, p50 / p95 | client ms per page, p50 / p95 / max | full read (s) |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const n of sizes) {
    lines.push(await benchOne(n, categories, seed, pageSize));
    process.stderr.write(`${lines[lines.length - 1]}\n`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  agent.destroy();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-emulator: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
