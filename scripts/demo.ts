// `npm run demo`: the whole job against the embedded emulator. Starts a seeded Kaltura
// emulator on loopback, then runs the connector as a user would (check, discover, read) and
// writes each stream's records to out/<stream>.jsonl (one file per stream, empty when the stream
// has no records). DEMO_ENTRIES and DEMO_CATEGORIES size the account; DEMO_OUT_DIR moves out/;
// DEMO_TOKEN picks another of the emulator's tokens (fixtures/README.md), e.g. `disabled`.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../fixtures/emulator/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const outDir = resolve(root, process.env.DEMO_OUT_DIR ?? 'out');
const entries = Number(process.env.DEMO_ENTRIES ?? 25_000);
const categoryCount = Number(process.env.DEMO_CATEGORIES ?? 300);
const tokenKey = process.env.DEMO_TOKEN ?? 'admin';

function run(args: string[], onLine: (message: any) => void | Promise<void>): Promise<number> {
  const child = spawn(process.execPath, [join(root, 'connector'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const done = (async () => {
    for await (const line of lines) await onLine(JSON.parse(line));
  })();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => done.then(() => resolve(code ?? 1), reject));
  });
}

/** The message of the first TRACE error, or the last ERROR log line, of a failed command. */
function failureOf(m: any, seen: { message?: string }): void {
  if (m.type === 'TRACE' && m.trace.type === 'ERROR') seen.message ??= m.trace.error.message;
  else if (m.type === 'LOG' && m.log.level === 'ERROR') seen.message ??= m.log.message;
}

/**
 * What the seeded account holds, so that the read's counts can be told apart from the account's
 * size: the media stream holds only media entries, and Kaltura never lists deleted categories.
 */
function accountSummary(counts: { entries: number; categories: number }, summary: { mediaEntries: number; liveCategories: number }): string {
  const n = (v: number): string => v.toLocaleString('en-US');
  const others = counts.entries - summary.mediaEntries;
  const deletedCategories = counts.categories - summary.liveCategories;
  return (
    `The account holds ${n(counts.entries)} entries: ${n(summary.mediaEntries)} media (clips, live streams and live channels, which the media stream reads)` +
    `${others > 0 ? ` and ${n(others)} playlists, data entries and documents (which Kaltura's media list leaves out)` : ''}; ` +
    `${n(counts.categories)} categories${deletedCategories > 0 ? `, ${n(deletedCategories)} of them deleted (Kaltura never lists those)` : ''}.`
  );
}

/** Stops the demo with a message that says which step failed and why. */
function stop(message: string): void {
  console.error(`demo stopped: ${message}`);
  process.exitCode = 1;
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`Starting the Kaltura emulator with ${entries.toLocaleString('en-US')} entries and ${categoryCount} categories...`);
  const emulator = await startEmulator({ entries, categories: categoryCount, seed: 1 });
  try {
    console.log(accountSummary(emulator.counts, emulator.control.summary()));
    mkdirSync(outDir, { recursive: true });
    const inRoot = relative(root, outDir);
    const shown = inRoot.startsWith('..') ? outDir : inRoot || '.';
    const token = emulator.tokens[tokenKey];
    if (!token) return stop(`the emulator has no token "${tokenKey}" (DEMO_TOKEN); its tokens are ${Object.keys(emulator.tokens).join(', ')}`);
    const configPath = join(outDir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ service_url: emulator.url, partner_id: token.partnerId, app_token_id: token.id, app_token: token.token, hash_type: token.hashType }, null, 2));

    let status: { status: string; message: string } | undefined;
    const checkFailure: { message?: string } = {};
    const checkCode = await run(['check', '--config', configPath], (m) => {
      if (m.type === 'CONNECTION_STATUS') status = m.connectionStatus;
      failureOf(m, checkFailure);
    });
    if (status) console.log(`check: ${status.status} - ${status.message}`);
    if (checkCode !== 0 || status?.status !== 'SUCCEEDED') {
      const why = status ? `${status.status}: ${status.message}` : `no connection status (exit code ${checkCode})${checkFailure.message ? `: ${checkFailure.message}` : ''}`;
      return stop(`check failed, so nothing was read. ${why}`);
    }

    let catalog: { streams: Array<{ name: string }> } | undefined;
    const discoverFailure: { message?: string } = {};
    const discoverCode = await run(['discover', '--config', configPath], (m) => {
      if (m.type === 'CATALOG') catalog = m.catalog;
      failureOf(m, discoverFailure);
    });
    if (discoverCode !== 0 || !catalog || !Array.isArray(catalog.streams) || catalog.streams.length === 0) {
      return stop(`discover failed, so nothing was read. ${catalog ? 'The catalog has no streams' : 'No catalog'} (exit code ${discoverCode})${discoverFailure.message ? `: ${discoverFailure.message}` : ''}`);
    }
    const names = catalog.streams.map((s) => s.name);
    const configured = { streams: catalog.streams.map((s) => ({ stream: s, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' })) };
    const catalogPath = join(outDir, 'catalog.json');
    writeFileSync(catalogPath, JSON.stringify(configured, null, 2));
    console.log(`discover: ${names.join(', ')}`);

    // Every stream gets its file, so a stream with no records leaves an empty one, not none.
    const files = new Map<string, WriteStream>(names.map((name) => [name, createWriteStream(join(outDir, `${name}.jsonl`))]));
    const counts = new Map<string, number>(names.map((name) => [name, 0]));
    const failed = new Map<string, string>();
    const readStarted = Date.now();
    const code = await run(['read', '--config', configPath, '--catalog', catalogPath], async (m) => {
      if (m.type === 'RECORD') {
        const stream: string = m.record.stream;
        let file = files.get(stream);
        if (!file) {
          file = createWriteStream(join(outDir, `${stream}.jsonl`));
          files.set(stream, file);
        }
        counts.set(stream, (counts.get(stream) ?? 0) + 1);
        if (!file.write(`${JSON.stringify(m.record.data)}\n`)) await once(file, 'drain');
      } else if (m.type === 'TRACE' && m.trace.type === 'ERROR') {
        const stream = m.trace.error.stream_descriptor?.name;
        if (stream) failed.set(stream, m.trace.error.message);
        console.log(`error: ${m.trace.error.message}`);
      }
    });
    await Promise.all([...files.values()].map((f) => new Promise((resolve) => f.end(resolve))));
    const readSeconds = (Date.now() - readStarted) / 1000;
    console.log(`\nread: exit code ${code} in ${readSeconds.toFixed(1)} s`);
    const width = Math.max(18, ...[...counts.keys()].map((s) => s.length));
    for (const [stream, n] of counts) {
      const problem = failed.has(stream) ? ` (FAILED: ${failed.get(stream)})` : '';
      console.log(`  ${stream.padEnd(width)} ${String(n).padStart(8)} records -> ${join(shown, `${stream}.jsonl`)}${problem}`);
    }
    console.log(`total elapsed ${((Date.now() - started) / 1000).toFixed(1)} s`);
    process.exitCode = code;
  } finally {
    await emulator.close();
  }
}

await main();
