// `npm run bench`: the connector's speed and memory, each figure measured side by side with its
// reference in the same run (the machines are shared and noisy), printed as Markdown.
// BENCH_QUICK=1 runs smaller sizes (for a smoke run); BENCH_SKIP_1M=1 skips the 1,000,000 run;
// BENCH_SKIP_MEMORY=1 skips the memory runs; BENCH_ONLY_PIPELINE=1 runs sections 1, 4 and 5 only;
// BENCH_ONLY_STREAMS=1 runs section 6 only; BENCH_ONLY_MEMORY=1 section 3 only. The connector is
// started as the mission runs it, plain `node connector read` (which relaunches itself under the
// heap caps), except where a row says otherwise.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startEmulator, type Emulator } from '../fixtures/emulator/index.js';
import { PageDecoder, recordOf } from '../connector/engine/pageDecoder.js';
import type { DecodedPage } from '../connector/engine/pageDecoder.js';
import { media } from '../connector/streams/media.js';
import { recordLines } from '../connector/protocol/airbyte/messages.js';
import { HEAP_FLAGS } from '../connector/util/heapCaps.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const dir = mkdtempSync(join(tmpdir(), 'kaltura-bench-'));
const lines: string[] = [];
const say = (line = '') => {
  lines.push(line);
  console.log(line);
};

interface ConnectorRun {
  seconds: number;
  records: number;
  states: Array<Record<string, unknown>>;
  cpuSeconds: number;
  /** Peak RSS of the process that read (the relaunched child, when there is one). */
  maxRssMb: number;
  /** Peak RSS of the process started when it only waited for its relaunched child (else 0). */
  waiterRssMb: number;
  requests: Record<string, number>;
}

function writeConfig(emulator: Emulator, extra: Record<string, unknown> = {}): string {
  const t = emulator.tokens.admin!;
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ service_url: emulator.url, partner_id: t.partnerId, app_token_id: t.id, app_token: t.token, hash_type: t.hashType, ...extra }));
  return path;
}

function writeCatalog(mode: 'full_refresh' | 'incremental', streams = ['media']): string {
  const path = join(dir, `catalog-${mode}-${streams.length}.json`);
  writeFileSync(path, JSON.stringify({ streams: streams.map((name) => ({ stream: { name }, sync_mode: mode, destination_sync_mode: 'append' })) }));
  return path;
}

/** 6: a full read of every stream, and what each Kaltura service was asked. */
async function everyStream(): Promise<void> {
  const entries = quick ? 5_000 : 20_000;
  const emulator = await startEmulator({ entries, categories: 100, seed: 3 });
  try {
    const names = readdirSync(join(root, 'schemas')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
    const run = await runRead(emulator, writeConfig(emulator), writeCatalog('full_refresh', names));
    const lists = Object.entries(run.requests).filter(([k]) => k.endsWith('.list')).sort((a, b) => b[1] - a[1]);
    say(`## 6. Every stream, full refresh (${entries.toLocaleString('en-US')} entries)`);
    say();
    say(`${run.records.toLocaleString('en-US')} records of ${names.length} streams in ${run.seconds.toFixed(1)} s, ${run.cpuSeconds.toFixed(1)} CPU s; ${lists.reduce((n, [, v]) => n + v, 0)} list requests:`);
    say();
    say('| service.action | requests |');
    say('| --- | ---: |');
    for (const [k, v] of lists) say(`| ${k} | ${v} |`);
    say();
  } finally {
    await emulator.close();
  }
}

/** Runs `node connector read` and counts what it prints; stdout is consumed as fast as it comes. */
async function runRead(emulator: Emulator, config: string, catalog: string, state?: unknown, profileDir?: string, nodeFlags: string[] = []): Promise<ConnectorRun> {
  const report = join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
  const args = [...nodeFlags, '--import', join(root, 'dist/scripts/bench/cpuReport.js')];
  if (profileDir) args.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  args.push(join(root, 'connector'), 'read', '--config', config, '--catalog', catalog);
  if (state) {
    const statePath = join(dir, 'state.json');
    writeFileSync(statePath, JSON.stringify(state));
    args.push('--state', statePath);
  }
  emulator.control.resetRequestCounts();
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '', BENCH_REPORT: report } });
  const { records, states } = await countLines(child.stdout);
  const code: number = await new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('close', (c) => resolve(c ?? 1))));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`the connector exited with ${code}`);
  const usages = readFileSync(report, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { pid: number; ppid: number; cpuMicros: number; maxRssKb: number });
  // The reader is the reporter that started no other (with a relaunch, the child; else the only one).
  const worker = usages.find((u) => !usages.some((o) => o.ppid === u.pid)) ?? usages[0]!;
  const waiter = usages.find((u) => u !== worker);
  return {
    seconds,
    records,
    states,
    cpuSeconds: usages.reduce((n, u) => n + u.cpuMicros, 0) / 1e6,
    maxRssMb: worker.maxRssKb / 1024,
    waiterRssMb: (waiter?.maxRssKb ?? 0) / 1024,
    requests: emulator.control.requestCounts(),
  };
}

/** Runs `read` three times and keeps the run with the median `measure`. */
async function medianRun(read: () => Promise<ConnectorRun>, measure: (run: ConnectorRun) => number): Promise<ConnectorRun> {
  const runs: ConnectorRun[] = [];
  for (let i = 0; i < 3; i++) runs.push(await read());
  return runs.sort((a, b) => measure(a) - measure(b))[1]!;
}

/**
 * Counts RECORD lines and parses STATE lines of the connector's stdout, touching only the first
 * bytes of each line: the bench process also runs the emulator, so a heavy reader here (readline
 * makes a string of every line) would slow Kaltura's answers down, not the connector.
 */
async function countLines(stdout: Readable): Promise<{ records: number; states: Array<Record<string, unknown>> }> {
  const record = Buffer.from('{"type":"RECORD"');
  const state = Buffer.from('{"type":"STATE"');
  const startsWith = (line: Buffer, prefix: Buffer) => line.length >= prefix.length && line.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
  let records = 0;
  const states: Array<Record<string, unknown>> = [];
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of stdout) {
    const data: Buffer = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let start = 0;
    for (let end = data.indexOf(10, start); end !== -1; end = data.indexOf(10, start)) {
      const line = data.subarray(start, end);
      if (startsWith(line, record)) records += 1;
      else if (startsWith(line, state)) states.push(JSON.parse(line.toString('utf8')).state);
      start = end + 1;
    }
    carry = Buffer.from(data.subarray(start));
  }
  return { records, states };
}

/** The raw floor: JSON.parse of the same pages and JSON.stringify of each record to nowhere. */
async function rawFloor(emulator: Emulator): Promise<{ recordsPerCpuSecond: number; records: number; pipelinePerCpuSecond: number }> {
  const t = emulator.tokens.admin!;
  const { createHash } = await import('node:crypto');
  const post = async (service: string, action: string, params: Record<string, unknown>) => {
    const res = await fetch(`${emulator.url}/api_v3/service/${service}/action/${action}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ...params, format: 1 }) });
    return res.text();
  };
  const widget = JSON.parse(await post('session', 'startWidgetSession', { widgetId: `_${t.partnerId}` })).ks as string;
  const hash = createHash(t.hashType.toLowerCase()).update(widget + t.token).digest('hex');
  const ks = JSON.parse(await post('apptoken', 'startSession', { id: t.id, tokenHash: hash, ks: widget })).ks as string;
  // Fetch every page first (not timed), with the same keyset filter the connector sends.
  const pages: string[] = [];
  let lower: number | undefined;
  let seen: string[] = [];
  for (;;) {
    const filter: Record<string, unknown> = { objectType: 'KalturaMediaEntryFilter', statusIn: '-2,-1,0,1,2,3,4,5,6,7', moderationStatusIn: '1,2,3,4,5,6', displayInSearchIn: '-2,-1,0,1,2', orderBy: '+updatedAt' };
    if (lower !== undefined) filter.updatedAtGreaterThanOrEqual = lower;
    if (seen.length) filter.idNotIn = seen.join(',');
    const text = await post('media', 'list', { ks, filter, pager: { objectType: 'KalturaFilterPager', pageSize: 500, pageIndex: 1 } });
    const objects = JSON.parse(text).objects as Array<{ id: string; updatedAt: number }>;
    if (objects.length === 0) break;
    pages.push(text);
    const last = objects[objects.length - 1]!.updatedAt;
    seen = last === lower ? [...seen, ...objects.map((o) => o.id)] : objects.filter((o) => o.updatedAt === last).map((o) => o.id);
    lower = last;
    if (objects.length < 500 || seen.length > 500) break;
  }
  let records = 0;
  let sink = 0;
  const before = process.cpuUsage();
  for (const text of pages) {
    for (const object of JSON.parse(text).objects as object[]) {
      sink += JSON.stringify(object).length;
      records += 1;
    }
  }
  const used = process.cpuUsage(before);
  // The connector's own record path on the same pages, in this process, on one thread: decoding
  // (parse, shaping, validation, each record's UTF-8 JSON) and the Airbyte lines around them,
  // without HTTP and without a server on the other core.
  const bodies = pages.map((text) => Buffer.from(text, 'utf8'));
  const decoder = new PageDecoder(media, { records: true });
  const pipelineBefore = process.cpuUsage();
  for (const body of bodies) {
    const page = decoder.decode(body, undefined) as DecodedPage;
    sink += recordLines('media', page.objects.map((row) => recordOf(row).json!), Date.now()).length;
  }
  const pipelineUsed = process.cpuUsage(pipelineBefore);
  if (sink < 0) console.log(sink);
  return { recordsPerCpuSecond: records / ((used.user + used.system) / 1e6), records, pipelinePerCpuSecond: records / ((pipelineUsed.user + pipelineUsed.system) / 1e6) };
}

function summarizeProfile(profileDir: string): string[] {
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return ['(no profile written)'];
  const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const frame = byId.get(id)!.callFrame;
    const where = frame.url ? frame.url.replace(/^.*\/(node_modules\/|dist\/)/, '$1') : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}${where ? `:${frame.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length;
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, n]) => `| ${(100 * n / total).toFixed(1)}% | \`${k}\` |`);
}

async function main(): Promise<void> {
  const size = quick ? 20_000 : 100_000;
  say(`# Benchmarks (${new Date().toISOString().slice(0, 10)})`);
  say();
  say(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}. Command: \`npm run bench\`${quick ? ' (BENCH_QUICK=1)' : ''}.`);
  say();

  if (process.env.BENCH_ONLY_STREAMS === '1') {
    await everyStream();
    return;
  }
  if (process.env.BENCH_ONLY_MEMORY === '1') {
    await memory();
    return;
  }

  // 1 + 4 + 5: zero latency.
  const emulator = await startEmulator({ entries: size, categories: 50, seed: 1 });
  try {
    const full = writeCatalog('full_refresh');
    // CPU is measured on runs without the profiler (which costs ~20% of it), the median of three
    // (single runs differ by up to 20% on this machine); the profile comes from a fourth.
    const connector = await medianRun(() => runRead(emulator, writeConfig(emulator), full), (r) => r.cpuSeconds);
    const profileDir = mkdtempSync(join(dir, 'prof-'));
    // The caps given to node, so that one process (the reader) runs and writes the profile.
    await runRead(emulator, writeConfig(emulator), full, undefined, profileDir, [...HEAP_FLAGS]);
    const floor = await rawFloor(emulator);
    const connectorRate = connector.records / connector.cpuSeconds;
    const listRequests = Object.entries(connector.requests).filter(([k]) => k.endsWith('.list')).reduce((n, [, v]) => n + v, 0);
    say(`## 1. Pipeline throughput (${size.toLocaleString('en-US')} entries, zero latency)`);
    say();
    say('| reader | records | CPU s | records per CPU second |');
    say('| --- | ---: | ---: | ---: |');
    say(`| connector (whole process: HTTP, parsing, shaping, validation, output; median of 3 runs) | ${connector.records} | ${connector.cpuSeconds.toFixed(2)} | ${Math.round(connectorRate).toLocaleString('en-US')} |`);
    say(`| raw floor (JSON.parse of the same pages + JSON.stringify per record) | ${floor.records} | ${(floor.records / floor.recordsPerCpuSecond).toFixed(2)} | ${Math.round(floor.recordsPerCpuSecond).toLocaleString('en-US')} |`);
    say(`| the connector's record path alone, same pages, in-process (parse, shape, validate, Airbyte lines, UTF-8) | ${floor.records} | ${(floor.records / floor.pipelinePerCpuSecond).toFixed(2)} | ${Math.round(floor.pipelinePerCpuSecond).toLocaleString('en-US')} |`);
    say();
    say(`Ratio connector / floor: **${(connectorRate / floor.recordsPerCpuSecond).toFixed(2)}** for the whole process (target ≥ 0.5); **${(floor.pipelinePerCpuSecond / floor.recordsPerCpuSecond).toFixed(2)}** for the record path alone. Wall time ${connector.seconds.toFixed(1)} s.`);
    say();
    say('Where the connector\'s CPU goes (self time, `--cpu-prof`, a second run of the same read):');
    say();
    say('| share | function |');
    say('| ---: | --- |');
    for (const row of summarizeProfile(profileDir)) say(row);
    say();
    say('## 4. Requests per 1,000 records (full read)');
    say();
    say(`${listRequests} list requests (+${(connector.requests['session.startwidgetsession'] ?? 0) + (connector.requests['apptoken.startsession'] ?? 0)} login, ${connector.requests['system.gettime'] ?? 0} clock) for ${connector.records} records: **${((listRequests * 1000) / connector.records).toFixed(3)}** list requests per 1,000 records (target ≤ 2.1; floor 2.0).`);
    say();
    const incremental = writeCatalog('incremental');
    const first = await runRead(emulator, writeConfig(emulator), incremental);
    const last = first.states.at(-1);
    const again = await runRead(emulator, writeConfig(emulator), incremental, last ? [last] : undefined);
    const againRequests = Object.values(again.requests).reduce((a, b) => a + b, 0);
    say('## 5. Incremental read with nothing changed');
    say();
    say(`${againRequests} requests in all (${JSON.stringify(again.requests)}), ${again.records} records (the lookback overlap), ${again.seconds.toFixed(2)} s wall.`);
    say();
  } finally {
    await emulator.close();
  }

  if (process.env.BENCH_ONLY_PIPELINE === '1') return;
  await everyStream();

  // 2: 100 ms of latency per request.
  const latency = 100;
  const slow = await startEmulator({ entries: size, categories: 50, seed: 1 });
  try {
    slow.control.setFaults({ latencyMs: latency });
    const full = writeCatalog('full_refresh');
    const concurrent = await medianRun(() => runRead(slow, writeConfig(slow, { max_concurrency: 8 }), full), (r) => r.seconds);
    const requests = Object.entries(concurrent.requests).filter(([k]) => k.endsWith('.list')).reduce((n, [, v]) => n + v, 0);
    const bound = Math.ceil(requests / 8) * (latency / 1000);
    // A sequential page-by-page reader, as export scripts are written today: one request at a time.
    const sequential = await runRead(slow, writeConfig(slow, { max_concurrency: 1 }), full);
    say(`## 2. End to end (${size.toLocaleString('en-US')} entries, ${latency} ms added per request)`);
    say();
    say('| reader | wall s | list requests |');
    say('| --- | ---: | ---: |');
    say(`| lower bound ceil(requests / 8) × ${latency} ms | ${bound.toFixed(2)} | ${requests} |`);
    say(`| connector, max_concurrency 8 (median of 3 runs) | ${concurrent.seconds.toFixed(2)} | ${requests} |`);
    say(`| sequential page-by-page (max_concurrency 1) | ${sequential.seconds.toFixed(2)} | ${Object.entries(sequential.requests).filter(([k]) => k.endsWith('.list')).reduce((n, [, v]) => n + v, 0)} |`);
    say();
    say(`Connector / bound: **${(concurrent.seconds / bound).toFixed(2)}** (target ≤ 1.3; includes process start and login). Speed-up over sequential: ${(sequential.seconds / concurrent.seconds).toFixed(1)}×.`);
    say();
  } finally {
    await slow.close();
  }

  if (process.env.BENCH_SKIP_MEMORY === '1') return;
  await memory();
}

/** 3: peak memory of a full read, at two account sizes. */
async function memory(): Promise<void> {
  say('## 3. Peak memory of a full read');
  say();
  say('| entries | records | launched as | peak RSS MB | + waiting parent MB | CPU s | wall s |');
  say('| ---: | ---: | --- | ---: | ---: | ---: | ---: |');
  const sizes = quick ? [20_000, 100_000] : process.env.BENCH_SKIP_1M === '1' ? [100_000] : [100_000, 1_000_000];
  for (const n of sizes) {
    const big = await startEmulator({ entries: n, categories: 50, seed: 2 });
    try {
      // With the caps given to node (as the Docker image's NODE_OPTIONS does; the process reads
      // itself), and as the mission's plain `node connector read`, which starts itself again
      // under the same caps: its reader's peak, and the waiting parent's beside it.
      const runs = [
        ['caps given to node (image)', [...HEAP_FLAGS]],
        ['plain `node connector` (relaunched with the caps)', []],
      ] as const;
      for (const [label, flags] of runs) {
        const run = await runRead(big, writeConfig(big), writeCatalog('full_refresh'), undefined, undefined, [...flags]);
        const waiter = run.waiterRssMb > 0 ? run.waiterRssMb.toFixed(0) : '—';
        say(`| ${n.toLocaleString('en-US')} | ${run.records.toLocaleString('en-US')} | ${label} | ${run.maxRssMb.toFixed(0)} | ${waiter} | ${run.cpuSeconds.toFixed(1)} | ${run.seconds.toFixed(1)} |`);
      }
    } finally {
      await big.close();
    }
  }
  say();
  say('Target: under 200 MB, not growing with the account. CPU s counts both processes of a relaunch.');
}

await main();
writeFileSync(join(dir, 'bench.md'), lines.join('\n'));
console.error(`\n(written to ${join(dir, 'bench.md')})`);
