import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const entry = join(repoRoot, 'connector');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed line by line; a line that is not JSON fails the parse loudly. */
  messages: Array<Record<string, any>>;
}

export function tempDir(prefix = 'source-kaltura-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

/** Runs `node connector ...args` as a user would, and collects everything it prints. */
export function runConnector(args: string[], options: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv; killWhen?: (message: Record<string, any>, index: number) => boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const messages: Array<Record<string, any>> = [];
    let pending = '';
    let killed = false;
    child.stdout.on('data', (b: Buffer) => {
      if (killed) return;
      out.push(b);
      if (!options.killWhen) return;
      // Watch the messages as they come, to kill at an exact point of the read.
      pending += b.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const message = JSON.parse(pending.slice(0, nl)) as Record<string, any>;
        pending = pending.slice(nl + 1);
        messages.push(message);
        if (options.killWhen(message, messages.length - 1)) {
          killed = true;
          child.kill('SIGKILL');
          return;
        }
      }
    });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      resolve({ code, signal, stdout, stderr: Buffer.concat(err).toString('utf8'), messages: options.killWhen ? messages : parseLines(stdout) });
    });
  });
}

export function parseLines(text: string): Array<Record<string, any>> {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l, i) => {
      try {
        return JSON.parse(l);
      } catch {
        throw new Error(`stdout line ${i + 1} is not JSON: ${l.slice(0, 200)}`);
      }
    });
}

export function ofType(messages: Array<Record<string, any>>, type: string): Array<Record<string, any>> {
  return messages.filter((m) => m.type === type);
}

export function recordsOf(messages: Array<Record<string, any>>, stream: string): Array<Record<string, any>> {
  return messages.filter((m) => m.type === 'RECORD' && m.record.stream === stream).map((m) => m.record.data);
}

/**
 * Two runs handed on the same records of each stream, each stream some. Compared as sorted ids:
 * per-parent streams read their batches side by side, so two correct runs may hand the same
 * records on in different orders. Duplicates stay visible.
 */
export function assertSameRecords(streams: readonly string[], actual: Array<Record<string, any>>, expected: Array<Record<string, any>>, label: string): void {
  const sortedIds = (messages: Array<Record<string, any>>, stream: string) => recordsOf(messages, stream).map((r) => String(r.id)).sort();
  for (const stream of streams) {
    const ids = sortedIds(actual, stream);
    assert.ok(ids.length > 0, `${stream} has records`);
    assert.deepEqual(ids, sortedIds(expected, stream), `${stream}: ${label}`);
  }
}

/**
 * Runs the connector and kills it with SIGKILL as soon as `killWhen` is true of a printed message,
 * the way an orchestrator or the OOM killer would: no chance to flush or clean up.
 */
export function runConnectorUntil(args: string[], killWhen: (message: Record<string, any>, index: number) => boolean, timeoutMs = 120_000): Promise<RunResult> {
  return runConnector(args, { killWhen, timeoutMs });
}

/** The `--state` input a platform would hand the next run: the last STATE message of each stream. */
export function lastStates(messages: Array<Record<string, any>>): Array<Record<string, any>> {
  const byStream = new Map<string, Record<string, any>>();
  for (const m of messages) if (m.type === 'STATE') byStream.set(m.state.stream.stream_descriptor.name, m.state);
  return [...byStream.values()];
}
