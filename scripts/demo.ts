// `npm run demo`: the whole job against the embedded emulator. Starts a seeded Kaltura
// emulator on loopback, then runs the connector as a user would (check, discover, read) and
// writes each stream's records to out/<stream>.jsonl.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../fixtures/emulator/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const outDir = join(root, 'out');
const entries = Number(process.env.DEMO_ENTRIES ?? 25_000);
const categoryCount = Number(process.env.DEMO_CATEGORIES ?? 300);

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

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`Starting the Kaltura emulator with ${entries.toLocaleString('en-US')} entries and ${categoryCount} categories...`);
  const emulator = await startEmulator({ entries, categories: categoryCount, seed: 1 });
  try {
    mkdirSync(outDir, { recursive: true });
    const token = emulator.tokens.admin!;
    const configPath = join(outDir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ service_url: emulator.url, partner_id: token.partnerId, app_token_id: token.id, app_token: token.token, hash_type: token.hashType }, null, 2));

    await run(['check', '--config', configPath], (m) => {
      if (m.type === 'CONNECTION_STATUS') console.log(`check: ${m.connectionStatus.status} - ${m.connectionStatus.message}`);
    });

    let catalog: any;
    await run(['discover', '--config', configPath], (m) => {
      if (m.type === 'CATALOG') catalog = m.catalog;
    });
    const configured = { streams: catalog.streams.map((s: any) => ({ stream: s, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' })) };
    const catalogPath = join(outDir, 'catalog.json');
    writeFileSync(catalogPath, JSON.stringify(configured, null, 2));
    console.log(`discover: ${catalog.streams.map((s: any) => s.name).join(', ')}`);

    const files = new Map<string, WriteStream>();
    const counts: Record<string, number> = {};
    const readStarted = Date.now();
    const code = await run(['read', '--config', configPath, '--catalog', catalogPath], async (m) => {
      if (m.type === 'RECORD') {
        const stream: string = m.record.stream;
        let file = files.get(stream);
        if (!file) {
          file = createWriteStream(join(outDir, `${stream}.jsonl`));
          files.set(stream, file);
        }
        counts[stream] = (counts[stream] ?? 0) + 1;
        if (!file.write(`${JSON.stringify(m.record.data)}\n`)) await once(file, 'drain');
      } else if (m.type === 'TRACE' && m.trace.type === 'ERROR') {
        console.log(`error: ${m.trace.error.message}`);
      }
    });
    await Promise.all([...files.values()].map((f) => new Promise((resolve) => f.end(resolve))));
    const readSeconds = (Date.now() - readStarted) / 1000;
    console.log(`\nread: exit code ${code} in ${readSeconds.toFixed(1)} s`);
    for (const [stream, n] of Object.entries(counts)) console.log(`  ${stream.padEnd(18)} ${String(n).padStart(8)} records -> out/${stream}.jsonl`);
    console.log(`total elapsed ${((Date.now() - started) / 1000).toFixed(1)} s`);
    process.exitCode = code;
  } finally {
    await emulator.close();
  }
}

await main();
