import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { loadConfig, type Config } from '../config/config.js';
import { streamSchema } from '../engine/records.js';
import type { StreamState } from '../engine/state.js';
import { planSync, runSync, settingsOf, type SyncListener } from '../engine/sync.js';
import { ConnectorError, RunRefusedError } from '../util/errors.js';
import { describeFailure } from '../kaltura/errorTable.js';
import { createKalturaClient } from '../kaltura/index.js';
import type { KalturaClient } from '../kaltura/client.js';
import { announceStreams, anyServerStreams, resolveStreamsOf, StreamsUnresolved, type ServerStreams } from '../streams/resolve.js';
import { selectionsFromCatalog } from '../protocol/airbyte/catalog.js';
import { defaultSelections, selectionsFromNames, type RequestedStream } from '../protocol/selections.js';
import { selectionsFromSingerCatalog, type SingerSelection } from '../protocol/singer/catalog.js';
import { removeStaleTempFiles } from '../sinks/atomicFile.js';
import { LockFile } from '../sinks/lockFile.js';
import { asOutputError, OutputError } from '../sinks/outputError.js';
import { RecordFileSink, recordFormat, type OutputFormat } from '../sinks/recordFile.js';
import { exitNow, onAbruptExit } from '../util/exit.js';
import { exitCodes } from '../util/exitCodes.js';
import { readJsonFile } from '../util/files.js';
import { excerpt } from '../util/json.js';
import { Logger } from '../util/logger.js';
import { secrets } from '../util/redact.js';
import { ProgressBoard, type ProgressOutput } from './progress.js';
import { CronStateWriter, loadCronState } from './stateFile.js';

export interface CronReadOptions {
  config: string;
  /** An Airbyte configured catalog or a Singer catalog; without it every stream is read. */
  catalog?: string;
  /** `--streams`: the streams to read, instead of a catalog. */
  streams?: RequestedStream[];
  output: OutputFormat;
  outputDir: string;
  stateFile?: string;
  /** Seconds between plain progress lines when stderr is not a terminal; 0: after every page. */
  progressIntervalSeconds?: number;
}

/**
 * `<stream>-<UTC time the run started>-p<partner id>-<run id>.<csv|jsonl>`, e.g.
 * `media-20261122T071500Z-p2093031-5f0c9a1e.csv`: names sort by time, say whose account they hold,
 * and two runs started in the same second (two partners, or an incremental run beside a full
 * refresh) never pick the same name.
 */
export function outputFileName(stream: string, startedAt: Date, format: OutputFormat, partnerId: number, runId: string): string {
  const stamp = startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  return `${stream}-${stamp}-p${partnerId}-${runId}.${format}`;
}

/** A new run id: 8 hex digits, random (not a pid: pids repeat, across containers too). */
export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

/** Files of this module's naming, and of earlier versions' (`media-20261122T071500Z.csv`). */
const outputFilePattern = /^[A-Za-z0-9_]+-\d{8}T\d{6}Z(-p\d+-[0-9a-f]{8})?\.(csv|jsonl)$/;

interface Outcome {
  stream: string;
  records: number;
  /** The file the stream left under its final name, if any. */
  file?: string;
  stateSaved: boolean;
  error?: string;
  /** The stream failed because its file could not be written (a full disk). */
  unwritable?: boolean;
}

/**
 * The cron way of reading: one file per stream per run, written under a temporary name and
 * renamed once complete; the state file replaced (atomically) only after the file holding every
 * record its new state covers is complete. A stream that fails keeps, under its final name, only
 * the records its saved state covers (and its state moves to them); a full-refresh stream that
 * fails leaves no file. So the state file never claims a record that is not in a complete file.
 */
export class CronOutput implements SyncListener {
  private readonly pending = new Map<string, StreamState>();
  private readonly committed = new Set<string>();
  readonly outcomes = new Map<string, Outcome>();

  constructor(
    private readonly sinks: Map<string, RecordFileSink>,
    private readonly state: CronStateWriter | undefined,
    private readonly board: ProgressBoard,
    private readonly log: Logger,
  ) {}

  async started(stream: string): Promise<void> {
    this.board.start(stream);
  }

  async estimate(stream: string, rows: number): Promise<void> {
    this.board.estimate(stream, rows);
  }

  async records(stream: string, records: Buffer[]): Promise<void> {
    await this.sink(stream).write(records);
    this.board.page(stream, records.length);
  }

  async checkpoint(stream: string, state: StreamState): Promise<void> {
    // Nothing is saved yet: the records are in a file that is not complete. Note how far they go.
    this.sink(stream).mark();
    this.pending.set(stream, state);
  }

  async completed(stream: string, recordCount: number): Promise<void> {
    const sink = this.sink(stream);
    await sink.commit();
    this.committed.add(stream);
    const outcome: Outcome = { stream, records: recordCount, file: sink.path, stateSaved: false };
    this.outcomes.set(stream, outcome);
    const state = this.pending.get(stream);
    if (state && this.state) {
      await this.state.save(stream, state);
      outcome.stateSaved = true;
    }
    this.board.finish(stream, 'done', recordCount);
  }

  /** Never throws: the other streams go on whatever happens to this one's file. */
  async failed(stream: string, error: ConnectorError, recordCount: number): Promise<void> {
    const sink = this.sink(stream);
    const outcome: Outcome = this.outcomes.get(stream) ?? { stream, records: recordCount, stateSaved: false };
    outcome.error = error.message;
    if (error instanceof OutputError) outcome.unwritable = true;
    this.outcomes.set(stream, outcome);
    if (error.internalMessage) this.log.debug(error.internalMessage);
    try {
      if (this.committed.has(stream)) {
        // The file is complete; saving its state failed. The next run reads those records again.
        this.log.warn(`${stream}: ${basename(sink.path)} is complete but the state file was not updated; the next run reads its records again`);
      } else {
        const state = this.pending.get(stream);
        if (state && this.state && sink.markedRecordCount > 0) {
          await sink.commitMarked();
          this.committed.add(stream);
          try {
            await this.state.save(stream, state);
          } catch (err) {
            // A file the state does not cover would be read again into the next run's file: the
            // rows would arrive twice. Without its state, the kept part is not kept, if it can go.
            try {
              unlinkSync(sink.path);
              outcome.records = 0;
            } catch {
              outcome.file = sink.path;
              outcome.records = sink.markedRecordCount;
            }
            throw err;
          }
          outcome.file = sink.path;
          outcome.records = sink.markedRecordCount;
          outcome.stateSaved = true;
          this.log.warn(`${stream}: kept the ${sink.markedRecordCount.toLocaleString('en-US')} records read before the failure in ${basename(sink.path)}; the state file now covers them, and the next run goes on from there`);
        } else {
          await sink.discard();
          outcome.records = 0;
          if (state && this.state) {
            // The read had reached a checkpoint with no record of this run before it: nothing
            // there to lose, so the state moves on (the next run does not read that range again).
            await this.state.save(stream, state);
            outcome.stateSaved = true;
          }
          const stateNote = !this.state ? '' : outcome.stateSaved ? '; its state moved to the last checkpoint, which covers no record of this run' : '; its state is unchanged';
          this.log.warn(`${stream}: no file written for this stream${stateNote}`);
        }
      }
    } catch (err) {
      await sink.discard().catch(() => undefined);
      if (err instanceof OutputError) outcome.unwritable = true;
      const kept = outcome.file ? `${basename(outcome.file)} holds ${outcome.records.toLocaleString('en-US')} records that the state does not cover (the next run reads them again)` : 'no file is kept for it';
      this.log.error(`${stream}: could not keep its file or state after the failure: ${(err as Error).message}; ${kept} and the state file is unchanged for it`);
    }
    this.board.finish(stream, 'failed', outcome.records);
  }

  /** Whether a stream failed because the disk (or quota) was full. */
  get unwritable(): boolean {
    return [...this.outcomes.values()].some((o) => o.unwritable);
  }

  /** For a signal: drop every file not yet complete. */
  discardUnfinishedSync(): void {
    for (const [stream, sink] of this.sinks) if (!this.committed.has(stream)) sink.discardSync();
  }

  private sink(stream: string): RecordFileSink {
    const sink = this.sinks.get(stream);
    if (!sink) throw new Error(`no output file for stream ${stream}`);
    return sink;
  }
}

/** An Airbyte configured catalog (`sync_mode`) or a Singer catalog (`tap_stream_id`, `metadata`). */
function selectionsFromAnyCatalog(catalog: unknown, states: Record<string, unknown>, server: ServerStreams): SingerSelection[] {
  const entries = (catalog as { streams?: unknown } | null)?.streams;
  const singer = Array.isArray(entries) && entries.some((e) => e !== null && typeof e === 'object' && ('tap_stream_id' in e || 'metadata' in e));
  return singer ? selectionsFromSingerCatalog(catalog, states, server) : selectionsFromCatalog(catalog, new Map(Object.entries(states)), server);
}

interface Prepared {
  config: Config;
  client: KalturaClient;
  selections: SingerSelection[];
  plan: ReturnType<typeof planSync>;
  state?: CronStateWriter;
  sinks: Map<string, RecordFileSink>;
}

export async function cronRead(options: CronReadOptions, stderr: ProgressOutput = process.stderr): Promise<number> {
  const startedAt = new Date();
  const board = new ProgressBoard(stderr, { intervalMs: (options.progressIntervalSeconds ?? 10) * 1000 });
  const log = new Logger((level, message) => board.log(level, message));
  let lock: LockFile | undefined;
  let output: CronOutput | undefined;
  let stateWriter: CronStateWriter | undefined;
  const sinks = new Map<string, RecordFileSink>();

  // However the run ends early (a signal, a closed stderr), what it holds is given back.
  const abandon = () => {
    output?.discardUnfinishedSync();
    for (const sink of sinks.values()) if (!output) sink.discardSync();
    // A state save in flight is either renamed already (its file is complete) or never will be.
    stateWriter?.discardSync();
    lock?.releaseSync();
  };
  const unregister = onAbruptExit(abandon);
  const onSignal = (signal: NodeJS.Signals) => {
    board.stop();
    abandon();
    stderr.write(`${new Date().toISOString()} ERROR Interrupted by ${signal}: files of unfinished streams removed; their state is unchanged\n`);
    exitNow(signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);

  try {
    let prepared: Prepared;
    try {
      prepared = await prepare(options, startedAt, log, sinks, (l) => (lock = l));
    } catch (err) {
      for (const sink of sinks.values()) await sink.discard();
      // Whatever went wrong here, nothing was read and no file was changed.
      // Kaltura out of reach or a login refused while resolving the streams fails the run as it
      // would fail every stream (exit 1); a session refused at login is refused as input is.
      const unresolved = err instanceof StreamsUnresolved && !(err.cause instanceof RunRefusedError);
      const error = err instanceof StreamsUnresolved ? describeFailure(err.cause, err.context) : describeFailure(err);
      log.error(error.message);
      if ((unresolved || error.failureType !== 'config_error') && error.internalMessage) log.debug(error.internalMessage);
      board.stop();
      return unresolved ? exitCodes.streamFailed : error instanceof OutputError ? exitCodes.outputUnwritable : exitCodes.badInput;
    }
    const { config, client, selections, plan, state } = prepared;
    stateWriter = state;
    if (plan.length === 0) {
      log.warn('The catalog selects no stream: nothing to read.');
      board.stop();
      return exitCodes.ok;
    }
    output = new CronOutput(sinks, state, board, log);
    // The board shows progress; the engine's own periodic progress lines would repeat it.
    let result;
    try {
      result = await runSync(client, output, log, { ...settingsOf(config), progressIntervalMs: Number.POSITIVE_INFINITY }, plan);
    } catch (err) {
      // A refused session, or a defect (stream failures are in the result): leave no unfinished file behind.
      output.discardUnfinishedSync();
      if (!(err instanceof RunRefusedError)) {
        board.stop();
        throw err;
      }
      // Refused before any stream started: no file written, the state file untouched.
      log.error(err.message);
      board.stop();
      return exitCodes.badInput;
    }
    const failed = result.failed;
    // The summary is the last line: requests a failed stream left behind (retries of its other
    // windows) may still finish after it, and their log lines are dropped.
    board.close(failed.length ? 'ERROR' : 'INFO', summary(selections.map((s) => s.def.name), output.outcomes, startedAt, options.stateFile, failed));
    if (output.unwritable) return exitCodes.outputUnwritable;
    return failed.length > 0 ? exitCodes.streamFailed : exitCodes.ok;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    unregister();
    await (lock as LockFile | undefined)?.release();
  }
}

/** Everything checked before a request is sent: a bad input changes no file. */
async function prepare(options: CronReadOptions, startedAt: Date, log: Logger, sinks: Map<string, RecordFileSink>, locked: (lock: LockFile) => void): Promise<Prepared> {
  const config = await loadConfig(options.config);
  const catalog = options.catalog ? await readJsonFile(options.catalog, 'catalog') : undefined;

  let state: CronStateWriter | undefined;
  let streamStates: Record<string, unknown> = {};
  if (options.stateFile) {
    const stateFile = resolve(options.stateFile);
    await mkdir(dirname(stateFile), { recursive: true }).catch(() => undefined);
    const lock = await LockFile.acquire(`${stateFile}.lock`).catch((err: Error) => {
      // A full disk is the machine's trouble (its own message and exit code), not bad input.
      const output = asOutputError(err, `${stateFile}.lock`);
      if (output !== err) throw output;
      throw new ConnectorError('config_error', `Cannot lock the state file ${options.stateFile}: ${err.message}. Check that its directory exists and is writable.`);
    });
    if ('heldBy' in lock) {
      throw new ConnectorError('config_error', `Another run (${lock.holder}) is using the state file ${options.stateFile}; nothing was read. If no such run exists, delete ${options.stateFile}.lock.`);
    }
    locked(lock);
    await removeStaleTempFiles(dirname(stateFile), (name) => name === basename(stateFile));
    const loaded = await loadCronState(stateFile);
    streamStates = loaded.state.streams;
    state = new CronStateWriter(stateFile, loaded.state);
    log.info(loaded.existed ? `State file ${options.stateFile}: ${Object.keys(streamStates).length ? Object.entries(streamStates).map(([s, v]) => `${s} from ${excerpt(v)}`).join(', ') : 'no stream state yet'}` : `State file ${options.stateFile} does not exist yet: this first run reads everything${config.start_date ? ` since ${config.start_date}` : ''}`);
  }

  // Refused before any request: a catalog or a state that no server could take.
  const asked = catalog !== undefined ? selectionsFromAnyCatalog(catalog, streamStates, anyServerStreams()) : options.streams ? selectionsFromNames(options.streams, streamStates) : defaultSelections(streamStates);
  planSync(asked);
  // The streams this run reads, when a catalog or --streams names them (profile names included).
  const wanted = catalog !== undefined ? asked.map((s) => s.def.name) : options.streams?.map((r) => r.name);

  const dir = resolve(options.outputDir);
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new ConnectorError('config_error', `The output directory ${options.outputDir} cannot be created or written to (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  const removed = await removeStaleTempFiles(dir, (name) => outputFilePattern.test(name));
  if (removed.length > 0) log.info(`Removed ${removed.length} temporary file(s) left by an interrupted run: ${removed.join(', ')}`);

  // The streams of this server: every one it serves (what it cannot serve is said once), or the catalog's.
  const client = createKalturaClient(config, log);
  const server = await resolveStreamsOf(client, wanted);
  if (catalog === undefined && !options.streams) announceStreams(server, log);
  else for (const warning of server.warnings) log.warn(warning);
  const selections = catalog !== undefined ? selectionsFromAnyCatalog(catalog, streamStates, server) : options.streams ? selectionsFromNames(options.streams, streamStates, server) : defaultSelections(streamStates, server.available);
  const plan = planSync(selections);

  // Names are this run's alone (partner id and run id): no other run can be writing them, and the
  // move to them refuses to replace a file in any case.
  const runId = newRunId();
  for (const s of selections) {
    const path = join(dir, outputFileName(s.def.name, startedAt, options.output, config.partner_id, runId));
    const columns = s.fields ?? Object.keys(streamSchema(s.def).properties);
    sinks.set(s.def.name, await RecordFileSink.open(path, recordFormat(options.output, columns)));
  }
  return { config, client, selections, plan, state, sinks };
}

function summary(order: string[], outcomes: Map<string, Outcome>, startedAt: Date, stateFile: string | undefined, failed: string[]): string {
  const seconds = ((Date.now() - startedAt.getTime()) / 1000).toFixed(1);
  const parts = order.map((stream) => {
    const o = outcomes.get(stream);
    if (!o) return `${stream}: not run`;
    const file = o.file ? ` in ${basename(o.file)}` : ', no file';
    if (!o.error) return `${stream}: ${o.records.toLocaleString('en-US')} records${file}`;
    const state = !stateFile ? '' : !o.stateSaved ? ', state unchanged' : o.file ? ', state saved up to them' : ', state moved to its last checkpoint (no record before it)';
    return `${stream}: FAILED${o.file ? `, kept ${o.records.toLocaleString('en-US')} records${file}` : file}${state}`;
  });
  const state = stateFile ? `; state file ${stateFile}` : '';
  const head = failed.length ? `Read failed for ${failed.join(', ')} after ${seconds}s` : `Read finished in ${seconds}s`;
  return secrets.redact(`${head}: ${parts.join('; ')}${state}`);
}
