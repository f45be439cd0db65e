import type { KalturaClient } from '../kaltura/client.js';
import type { Config } from '../config/config.js';
import { ConnectorError, RunRefusedError } from '../util/errors.js';
import { describeFailure } from '../kaltura/errorTable.js';
import type { StreamDefinition } from '../streams/definition.js';
import type { Logger } from '../util/logger.js';
import { readWindows } from './windows.js';
import { rowKey } from './keyset.js';
import { readBoundaryKeyset } from './boundary.js';
import { parentFeed, readPerParent } from './perParent.js';
import type { ParentFeed, ParentTicket } from './parentFeed.js';
import { SourceSelector } from './source.js';
import { PageDecoder, recordOf } from './pageDecoder.js';
import { makeState, readState, type StreamState } from './state.js';

export type SyncMode = 'full_refresh' | 'incremental';

export interface StreamSelection {
  def: StreamDefinition;
  mode: SyncMode;
  /** The stream's saved state as the protocol handed it over (incremental only). */
  state?: unknown;
  /** Fields to emit, in schema order (a catalog's selection); undefined: every field. */
  fields?: string[];
}

/**
 * What a sync produces, in order. Protocol adapters and file sinks implement it; the engine knows
 * nothing of how records are written, and they know nothing of Kaltura. A returned promise
 * resolves once the data is handed to the output, which is what makes a following checkpoint safe.
 */
export interface SyncListener {
  started(stream: string): Promise<void>;
  estimate(stream: string, rows: number): Promise<void>;
  /**
   * Each record as UTF-8 JSON: the schema's fields (or those selected) in schema order. `nulled`
   * (rarely given) maps a record's index to the fields set to null because Kaltura sent a value
   * that could not be given in the declared type.
   */
  records(stream: string, records: Buffer[], nulled?: ReadonlyMap<number, readonly string[]>): Promise<void>;
  checkpoint(stream: string, state: StreamState, recordsSinceLast: number): Promise<void>;
  completed(stream: string, recordCount: number): Promise<void>;
  failed(stream: string, error: ConnectorError, recordCount: number): Promise<void>;
}

export interface SyncSettings {
  pageSize: number;
  lookbackSeconds: number;
  /** Unix seconds: nothing updated before it is read (config start_date). */
  startTime?: number;
  /** Keyset readers per stream, walking windows of the cursor range side by side. */
  readers: number;
  /** How often progress is logged. */
  progressIntervalMs?: number;
}

/** The engine's settings as the config gives them, the same for every protocol. */
export function settingsOf(config: Config): SyncSettings {
  return { pageSize: config.page_size, lookbackSeconds: config.lookback_window_seconds, startTime: config.startTime, readers: config.max_concurrency };
}

export interface SyncResult {
  failed: string[];
  counts: Record<string, number>;
}

interface PlannedStream extends StreamSelection {
  cursor?: number;
}

/** Checks every saved state before a single request is sent: bad input fails early, nothing half done. */
export function planSync(selections: StreamSelection[]): PlannedStream[] {
  return selections.map((s) => ({ ...s, cursor: s.mode === 'incremental' ? readState(s.def, s.state) : undefined }));
}

/** Throws a ConnectorError, before any stream starts, when the whole run is refused (RunRefusedError: a session that would see part of the account); stream failures are in the result. */
export async function runSync(client: KalturaClient, listener: SyncListener, log: Logger, settings: SyncSettings, plan: PlannedStream[]): Promise<SyncResult> {
  // The login goes out beside the clock request (neither needs the other); a failed login is
  // reported by the streams, whose first request waits for it.
  const login = client.session.ks().then(
    () => undefined,
    (err: unknown) => err,
  );
  // The read ends with the last whole second before it started. Rows written later in the second
  // it starts in would enter windows already counted, and offset pages could then skip a row.
  const readEnd = (await serverNow(client, log)) - 1;
  // A session that would see part of the account ends the whole run before any stream starts.
  const loginFailure = await login;
  if (loginFailure instanceof RunRefusedError) throw loginFailure;
  const result: SyncResult = { failed: [], counts: {} };
  const feeds = parentFeeds(client, log, settings, plan, readEnd);
  // Streams run side by side; the client's limiter bounds the requests in flight across all of them.
  await Promise.all(
    plan.map(async (stream) => {
      const parents = stream.def.parents ? feeds.get(stream.def.parents.of)?.ticket() : undefined;
      const count = await syncStream(client, listener, log, settings, stream, readEnd, parents);
      result.counts[stream.def.name] = count.records;
      if (!count.ok) result.failed.push(stream.def.name);
    }),
  );
  return result;
}

/**
 * Streams read by batches of the same parents (metadata, flavor and caption assets all name
 * entries) share one walk of those parents.
 */
function parentFeeds(client: KalturaClient, log: Logger, settings: SyncSettings, plan: PlannedStream[], to: number): Map<StreamDefinition, ParentFeed> {
  const readers = new Map<StreamDefinition, PlannedStream[]>();
  for (const stream of plan) {
    const parent = stream.def.parents?.of;
    if (parent) readers.set(parent, [...(readers.get(parent) ?? []), stream]);
  }
  const feeds = new Map<StreamDefinition, ParentFeed>();
  const reading = { client, pageSize: settings.pageSize, readers: settings.readers, log: (m: string) => log.info(m) };
  for (const [parent, streams] of readers) {
    feeds.set(parent, parentFeed(parent, reading, to, streams.length));
    if (streams.length > 1) log.info(`${streams.map((s) => s.def.name).join(', ')}: one walk of ${parent.name} serves them all`);
  }
  return feeds;
}

/** A stream read by batches of parents has a place in its parents' walk: `parentFeeds` makes one for every parent stream of the plan. */
function walkOf(def: StreamDefinition, ticket: ParentTicket | undefined): ParentTicket {
  if (!ticket) throw new Error(`${def.name}: no walk of ${def.parents?.of.name} was set up`);
  return ticket;
}

async function syncStream(client: KalturaClient, listener: SyncListener, log: Logger, settings: SyncSettings, stream: PlannedStream, to: number, parents?: ParentTicket): Promise<{ records: number; ok: boolean }> {
  const { def, mode, cursor } = stream;
  const incremental = mode === 'incremental';
  const progress = new Progress(def.name, log, settings.progressIntervalMs ?? 5000);
  let recordCount = 0;
  let sinceCheckpoint = 0;
  let invalid = 0;
  let lastCheckpoint = cursor;
  await listener.started(def.name);
  const checkpoint = async (at: number) => {
    // A state never moves backwards (the lookback re-reads rows below it) nor past invalid rows.
    if (!incremental || invalid > 0) return;
    const value = Math.max(at, lastCheckpoint ?? at);
    await listener.checkpoint(def.name, makeState(def, value), sinceCheckpoint);
    lastCheckpoint = value;
    sinceCheckpoint = 0;
  };
  try {
    const from = startOf(incremental ? cursor : undefined, settings);
    if (from === undefined || from <= to) {
      const source = new SourceSelector(client, def, (m) => log.info(m), new PageDecoder(def, { records: true, fields: stream.fields, log }));
      const options = { client, def, source, pageSize: settings.pageSize, readers: settings.readers, log: (m: string) => log.info(m) };
      // The reader follows the list: batches of parents, no idNotIn, or the windowed keyset reader.
      const pages = def.parents ? readPerParent(options, { from, to }, walkOf(def, parents)) : def.boundary === 'client' ? readBoundaryKeyset(options, { from, to }) : readWindows(options, { from, to });
      for await (const page of pages) {
        if (page.totalCount !== undefined) {
          await listener.estimate(def.name, page.totalCount);
          progress.expect(page.totalCount);
        }
        const out: Buffer[] = [];
        let nulled: Map<number, readonly string[]> | undefined;
        for (const row of page.rows) {
          const record = recordOf(row);
          if (record.json) {
            if (record.nulled) (nulled ??= new Map()).set(out.length, record.nulled);
            out.push(record.json);
            continue;
          }
          invalid += 1;
          log.warn(`${def.name}: record ${rowKey(def, row, '/')} does not match schemas/${def.schemaFile} and was not written: ${record.problems}`);
        }
        if (out.length > 0) await listener.records(def.name, out, nulled);
        recordCount += out.length;
        sinceCheckpoint += out.length;
        progress.page(out.length);
        await checkpoint(page.checkpoint);
      }
    } else {
      log.info(`${def.name}: the saved state (${new Date((cursor ?? 0) * 1000).toISOString()}) is after the read's start; nothing to read`);
    }
    // Everything before the second the read started in is now delivered.
    await checkpoint(to + 1);
    if (invalid > 0) {
      throw new ConnectorError('system_error', `${def.name}: ${invalid} record(s) did not match the stream's schema and were not written (see the warnings for their ids). The saved state stopped before the first of them, so the next sync reads them again.`);
    }
    progress.done();
    await listener.completed(def.name, recordCount);
    return { records: recordCount, ok: true };
  } catch (err) {
    const error = describeFailure(err, { ...client.session.failureContext });
    log.error(`${def.name}: ${error.message}`);
    await listener.failed(def.name, error, recordCount);
    return { records: recordCount, ok: false };
  } finally {
    // A stream that never read its parents (nothing to read, or it failed first) lets the others go on.
    parents?.withdraw();
  }
}

/** Where a read starts: the saved cursor less the lookback, never before start_date. */
function startOf(cursor: number | undefined, settings: SyncSettings): number | undefined {
  if (cursor === undefined) return settings.startTime;
  const from = cursor - settings.lookbackSeconds;
  return settings.startTime !== undefined ? Math.max(from, settings.startTime) : from;
}

async function serverNow(client: KalturaClient, log: Logger): Promise<number> {
  try {
    return await client.serverTime();
  } catch (err) {
    log.warn(`Could not read Kaltura's clock (${(err as Error).message}); using this machine's clock as the read's end`);
    return Math.floor(Date.now() / 1000);
  }
}

class Progress {
  private records = 0;
  private pages = 0;
  private total: number | undefined;
  private readonly startedAt = Date.now();
  private lastLogAt = 0;

  constructor(
    private readonly stream: string,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  expect(total: number): void {
    this.total = total;
    this.log.info(`${this.stream}: reading about ${total.toLocaleString('en-US')} rows`);
  }

  page(records: number): void {
    this.records += records;
    this.pages += 1;
    const now = Date.now();
    if (now - this.lastLogAt >= this.intervalMs) {
      this.lastLogAt = now;
      this.log.info(this.line());
    }
  }

  done(): void {
    this.log.info(`${this.line()}; done`);
  }

  private line(): string {
    const seconds = (Date.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? Math.round(this.records / seconds) : 0;
    const of = this.total ? ` of about ${this.total.toLocaleString('en-US')}` : '';
    return `${this.stream}: ${this.records.toLocaleString('en-US')} records${of} in ${this.pages} pages, ${rate.toLocaleString('en-US')} records/s`;
  }
}
