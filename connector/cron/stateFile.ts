import { unlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ConnectorError } from '../util/errors.js';
import { parseJsonText } from '../util/files.js';
import { isObject } from '../util/json.js';
import { isoSeconds } from '../engine/records.js';
import { tempPathFor, writeFileAtomic } from '../sinks/atomicFile.js';

export const cronStateVersion = 1;

/**
 * The cron state file: each stream's engine state, the same object Airbyte and Singer carry
 * (`{"updatedAt": "<RFC 3339>", "state_version": 1}`), so a state can be moved between the three.
 *
 *   {"version": 1, "updated_at": "2026-11-22T07:15:03Z", "streams": {"media": {...}, "categories": {...}}}
 */
export interface CronState {
  version: typeof cronStateVersion;
  updated_at?: string;
  streams: Record<string, unknown>;
}

const shape = `It must look like {"version": ${cronStateVersion}, "streams": {"media": {"updatedAt": "2024-05-01T12:00:00Z", "state_version": 1}}}.`;

/**
 * Reads and checks the state file. A missing file is a first run (no state); anything else that is
 * not a state file of this shape is refused with the fix, and nothing is written.
 */
export async function loadCronState(path: string): Promise<{ state: CronState; existed: boolean }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: { version: cronStateVersion, streams: {} }, existed: false };
    throw new ConnectorError('config_error', `The state file ${path} cannot be read (${code ?? (err as Error).message}).`);
  }
  const fix = `Fix it, or delete it to read every stream from the start (or from start_date) again.`;
  if (text.trim() === '') throw new ConnectorError('config_error', `The state file ${path} is empty. ${shape} ${fix}`);
  const value = parseJsonText(text, path, 'state', `${shape} ${fix}`);
  const problems = describeProblems(value);
  if (problems.length > 0) throw new ConnectorError('config_error', `The state file ${path} is not a state file of this connector: ${problems.join('; ')}. ${shape} ${fix}`);
  return { state: value as CronState, existed: true };
}

function describeProblems(value: unknown): string[] {
  if (!isObject(value)) return ['it is not a JSON object'];
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  if (v.version !== cronStateVersion) problems.push(`"version" is ${JSON.stringify(v.version)}, not ${cronStateVersion}`);
  if (!isObject(v.streams)) problems.push('"streams" is missing or not an object');
  else {
    for (const [name, s] of Object.entries(v.streams)) {
      if (!isObject(s)) problems.push(`streams.${name} is not an object`);
    }
  }
  if (v.updated_at !== undefined && typeof v.updated_at !== 'string') problems.push('"updated_at" is not a string');
  const unknown = Object.keys(v).filter((k) => !['version', 'streams', 'updated_at'].includes(k));
  if (unknown.length > 0) problems.push(`unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`);
  return problems;
}

/**
 * Saves stream states into the state file, one stream at a time as each stream's file is
 * complete. Saves are queued, so streams that end together never interleave two writes, and
 * each save replaces the file atomically with every stream's latest saved state.
 */
export class CronStateWriter {
  private readonly streams: Record<string, unknown>;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    initial: CronState,
  ) {
    this.streams = { ...initial.streams };
  }

  save(stream: string, state: object): Promise<void> {
    const run = this.queue.then(async () => {
      const next = { ...this.streams, [stream]: state };
      const file: CronState = { version: cronStateVersion, updated_at: isoSeconds(Math.floor(Date.now() / 1000)), streams: next };
      await writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`);
      this.streams[stream] = state;
    });
    // A failed save is reported to its caller; later saves still run.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * For a signal handler: removes the temporary file of a save in flight. The state file stays
   * the old one or, if the rename already happened, the new one; both are complete.
   */
  discardSync(): void {
    try {
      unlinkSync(tempPathFor(this.path));
    } catch {
      // no save in flight
    }
  }

  snapshot(): Record<string, unknown> {
    return { ...this.streams };
  }
}
