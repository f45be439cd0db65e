import { unlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ErrorObject } from 'ajv';
import { createAjv } from '../util/ajv.js';
import { ConnectorError } from '../util/errors.js';
import { parseJsonText } from '../util/files.js';
import { excerpt, isObject } from '../util/json.js';
import { readPackageJson } from '../util/paths.js';
import { isoSeconds } from '../engine/isoSeconds.js';
import type { StreamState } from '../engine/state.js';
import { tempPathFor, writeFileAtomic } from '../sinks/atomicFile.js';
import type { CronStateFile } from '../generated/cron.js';

export const cronStateVersion = 1;

/**
 * The cron state file: each stream's engine state, the same object Airbyte and Singer carry
 * (`{"updatedAt": "<RFC 3339>", "state_version": 1}`), so a state can be moved between the three.
 *
 *   {"version": 1, "updated_at": "2026-11-22T07:15:03Z", "streams": {"media": {...}, "categories": {...}}}
 *
 * Its type is generated from schemas/state-file.schema.json.
 */
export type CronState = CronStateFile;

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
  if (isCronState(value)) return { state: value, existed: true };
  throw new ConnectorError('config_error', `The state file ${path} is not a state file of this connector: ${describeProblems(value).join('; ')}. ${shape} ${fix}`);
}

const validateStateFile = createAjv().compile<CronState>(readPackageJson('connector/cron/schemas/state-file.schema.json') as object);

/** Whether a parsed value is a state file of this shape (by its schema). */
function isCronState(value: unknown): value is CronState {
  return validateStateFile(value);
}

/** What is wrong with a state file, by its schema, one phrase per problem, in the order a reader checks. */
function describeProblems(value: unknown): string[] {
  if (validateStateFile(value)) return [];
  const v: Record<string, unknown> = isObject(value) ? value : {};
  const phrases = new Map<string, string>();
  const unknown: string[] = [];
  for (const e of validateStateFile.errors ?? []) {
    const at = e.instancePath.split('/').slice(1);
    const missing = e.keyword === 'required' ? (e.params as { missingProperty: string }).missingProperty : undefined;
    if (at.length === 0 && e.keyword === 'type') phrases.set('0', 'it is not a JSON object');
    else if (missing === 'version' || at[0] === 'version') phrases.set('1', `"version" is ${v.version === undefined ? 'undefined' : excerpt(v.version, 40)}, not ${cronStateVersion}`);
    else if (missing === 'streams' || (at[0] === 'streams' && at.length === 1)) phrases.set('2', '"streams" is missing or not an object');
    else if (at[0] === 'streams') phrases.set(`3 ${at[1]}`, `streams.${at[1]} is not an object`);
    else if (at[0] === 'updated_at') phrases.set('4', '"updated_at" is not a string');
    else if (e.keyword === 'additionalProperties') unknown.push((e.params as { additionalProperty: string }).additionalProperty);
    else phrases.set(`5 ${e.instancePath}`, otherProblem(e));
  }
  if (unknown.length > 0) phrases.set('6', `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k.length > 40 ? `${k.slice(0, 40)}…` : k}"`).join(', ')}`);
  return [...phrases.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, phrase]) => phrase);
}

function otherProblem(e: ErrorObject): string {
  return `${e.instancePath.slice(1).replace(/\//g, '.') || '(top level)'} ${e.message ?? 'is invalid'}`;
}

/**
 * Saves stream states into the state file, one stream at a time as each stream's file is
 * complete. Saves are queued, so streams that end together never interleave two writes, and
 * each save replaces the file atomically with every stream's latest saved state.
 */
export class CronStateWriter {
  private readonly streams: CronState['streams'];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    initial: CronState,
  ) {
    this.streams = { ...initial.streams };
  }

  save(stream: string, state: StreamState): Promise<void> {
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

  snapshot(): CronState['streams'] {
    return { ...this.streams };
  }
}
