import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { findStream } from '../../connector/streams/index.js';
import { airbyteMessageProblems, airbyteSchemaSource } from './airbyteSchema.js';
import { repoRoot } from './paths.js';

export { repoRoot };
const entry = join(repoRoot, 'connector');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed line by line; a line that is not JSON fails the run loudly. */
  messages: Array<Record<string, any>>;
  /** How many of the messages were validated against the Airbyte protocol schema (all of them for an Airbyte command, else 0). */
  validated: number;
}

export interface RunOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the connector with SIGKILL as soon as this is true of a printed message. */
  killWhen?: (message: Record<string, any>, index: number) => boolean;
  /** Called with each message as soon as it is printed, while the connector still runs. */
  onMessage?: (message: Record<string, any>, index: number) => void;
  /** Another program to run in place of `connector` (tests of this helper). */
  entry?: string;
}

export function tempDir(prefix = 'source-kaltura-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

/**
 * Whether a command line speaks the Airbyte protocol on stdout: an Airbyte subcommand, and not
 * the cron read (`read --output ...`, which writes files). Singer flags speak Singer.
 */
export function speaksAirbyte(args: readonly string[]): boolean {
  const first = args[0];
  if (first === undefined || !['spec', 'check', 'discover', 'read'].includes(first)) return false;
  return !(first === 'read' && args.some((a) => a === '--output' || a.startsWith('--output=')));
}

/**
 * Runs `node connector ...args` as a user would, and collects everything it prints. Every stdout
 * line must be JSON; for an Airbyte command (see speaksAirbyte) every line must also be a valid
 * AirbyteMessage of the protocol schema, or the run rejects naming the line and the schema's
 * complaint. No test can forget to check it.
 */
export function runConnector(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const command = `node connector ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.entry ?? entry, ...args], { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const messages: Array<Record<string, any>> = [];
    // A chunk can end inside a multi-byte character: decode across chunks.
    const decoder = new StringDecoder('utf8');
    let pending = '';
    let killed = false;
    let failure: Error | undefined;
    const fail = (error: Error) => {
      failure ??= error;
      killed = true;
      child.kill('SIGKILL');
    };
    child.stdout.on('data', (b: Buffer) => {
      if (killed) return;
      out.push(b);
      // Parse the messages as they come: hooks see them while the connector runs.
      pending += decoder.write(b);
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.length === 0) continue;
        let message: Record<string, any>;
        try {
          message = JSON.parse(line) as Record<string, any>;
        } catch {
          fail(new Error(`${command}: stdout line ${messages.length + 1} is not JSON: ${line.slice(0, 200)}`));
          return;
        }
        messages.push(message);
        try {
          options.onMessage?.(message, messages.length - 1);
        } catch (error) {
          fail(error as Error);
          return;
        }
        if (options.killWhen?.(message, messages.length - 1)) {
          // A deliberate kill: the lines printed so far are the result; a partial line is dropped.
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
      if (failure) return reject(failure);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (!killed && pending.length > 0) {
        return reject(new Error(`${command}: the last stdout line is not terminated${signal ? ` (killed by ${signal}: timed out?)` : ''}: ${pending.slice(0, 200)}\n${stderr.slice(-1000)}`));
      }
      let validated = 0;
      if (speaksAirbyte(args)) {
        for (const [i, message] of messages.entries()) {
          const problems = airbyteMessageProblems(message);
          if (problems) return reject(new Error(`${command}: stdout line ${i + 1} is not a valid Airbyte message (${airbyteSchemaSource}): ${problems}\n${JSON.stringify(message).slice(0, 300)}`));
          validated += 1;
        }
      }
      resolve({ code, signal, stdout, stderr, messages, validated });
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
 * A record's primary key as the stream declares it (connector/streams), as one comparable string:
 * `id` for most streams, `categoryId` + `entryId` for category_entries. A record without a part of
 * its key fails the assertion.
 */
export function primaryKeyOf(stream: string, record: Record<string, any>): string {
  const def = findStream(stream);
  assert.ok(def, `no stream ${stream}`);
  const parts = def.primaryKey.map((path) => {
    const value = path.reduce<any>((v, k) => (v == null ? undefined : v[k]), record);
    assert.ok(value !== undefined && value !== null, `${stream} record without its key ${path.join('.')}: ${JSON.stringify(record).slice(0, 200)}`);
    return value;
  });
  return JSON.stringify(parts);
}

/**
 * Two runs handed on the same records of each stream, each stream some. Compared as sorted
 * primary keys: per-parent streams read their batches side by side, so two correct runs may hand
 * the same records on in different orders. Duplicates stay visible.
 */
export function assertSameRecords(streams: readonly string[], actual: Array<Record<string, any>>, expected: Array<Record<string, any>>, label: string): void {
  const sortedKeys = (messages: Array<Record<string, any>>, stream: string) => recordsOf(messages, stream).map((r) => primaryKeyOf(stream, r)).sort();
  for (const stream of streams) {
    const keys = sortedKeys(actual, stream);
    assert.ok(keys.length > 0, `${stream} has records`);
    assert.deepEqual(keys, sortedKeys(expected, stream), `${stream}: ${label}`);
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
