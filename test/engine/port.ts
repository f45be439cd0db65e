/**
 * The one place that knows how the engine is entered: a read of one stream from a FakeKaltura,
 * through `runSync` with a KalturaClient whose transport answers from the fake tables. Pages go
 * through the stream's PageDecoder as they would from HTTP, so records come out as the engine
 * writes them. When the engine's entry changes, only this file should have to.
 */
import { KalturaClient } from '../../connector/kaltura/client.js';
import type { AnswerDecoder, KalturaTransport, Params } from '../../connector/kaltura/transport.js';
import type { AppTokenSession } from '../../connector/kaltura/session.js';
import { planSync, runSync, type SyncListener, type SyncMode, type SyncSettings } from '../../connector/engine/sync.js';
import type { StreamState } from '../../connector/engine/state.js';
import type { StreamDefinition } from '../../connector/streams/definition.js';
import type { ConnectorError } from '../../connector/util/errors.js';
import { Logger } from '../../connector/util/logger.js';
import type { FakeKaltura, Filter, Row } from './fakeTable.js';

const fakeKs = 'fake-session';

export interface ReadSettings {
  pageSize: number;
  readers: number;
  lookbackSeconds?: number;
  startTime?: number;
}

/** One run of one stream, as its output saw it. */
export interface ReadRun {
  /** The records, parsed, in the order they were written. */
  records: Row[];
  /** Each state written, with how many records had been written before it. */
  checkpoints: Array<{ state: StreamState; afterRecords: number }>;
  outcome: 'completed' | 'failed' | 'killed';
  error?: ConnectorError;
  /** The last second the read covers (the server's clock at its start, less one). */
  readEnd: number;
  log: string[];
}

export interface ReadRequest {
  def: StreamDefinition;
  mode: SyncMode;
  state?: StreamState;
  settings: ReadSettings;
  /** The process dies when its output has taken this many writes (records or states): nothing after reaches it. */
  killAfterWrites?: number;
}

class Killed extends Error {}

export async function readStream(kaltura: FakeKaltura, request: ReadRequest): Promise<ReadRun> {
  const log: string[] = [];
  const logger = new Logger((level, message) => log.push(`${level} ${message}`));
  const run: ReadRun = { records: [], checkpoints: [], outcome: 'failed', readEnd: kaltura.clock.now - 1, log };
  // This run's process: once dead, its own requests fail, even while a later run reads.
  let dead = false;
  let writes = 0;
  /** A write the process may still make; false once it is dead. */
  const write = (): boolean => {
    if (dead) return false;
    if (request.killAfterWrites !== undefined && writes >= request.killAfterWrites) {
      dead = true;
      throw new Killed('killed');
    }
    writes += 1;
    return true;
  };
  const listener: SyncListener = {
    started: async () => {},
    estimate: async () => {},
    records: async (_stream, records) => {
      if (write()) for (const record of records) run.records.push(JSON.parse(record.toString('utf8')) as Row);
    },
    checkpoint: async (_stream, state) => {
      if (write()) run.checkpoints.push({ state, afterRecords: run.records.length });
    },
    completed: async () => {
      if (!dead) run.outcome = 'completed';
    },
    failed: async (_stream, error) => {
      run.outcome = dead ? 'killed' : 'failed';
      if (!dead) run.error = error;
    },
  };
  const transport = {
    call: async (service: string, action: string, params: Params, signal?: AbortSignal, _session?: unknown, decode?: AnswerDecoder): Promise<unknown> => {
      // Answers come back on a later turn, as from a socket, so readers in flight interleave.
      await new Promise((resolve) => setImmediate(resolve));
      if (dead) throw new Killed('the process is gone');
      signal?.throwIfAborted();
      if (service === 'system' && action === 'getTime') {
        run.readEnd = kaltura.clock.now - 1;
        return kaltura.clock.now;
      }
      if (action !== 'list') throw new Error(`the fake has no ${service}.${action}`);
      const { objectType: _filterType, ...filter } = (params.filter ?? {}) as Filter;
      const answer = kaltura.list(service, filter, (params.pager ?? {}) as { pageSize?: number; pageIndex?: number });
      if (!decode) return answer;
      const page = decode(Buffer.from(JSON.stringify(answer)), fakeKs);
      if (page === undefined) throw new Error(`${service}.list: the page decoder refused the fake's answer`);
      return page;
    },
  };
  const session = {
    ks: async () => fakeKs,
    fresh: async () => fakeKs,
    invalidate: () => {},
    failureContext: { partnerId: 1, appTokenId: 'fake', serviceUrl: 'http://127.0.0.1' },
  };
  const client = new KalturaClient(transport as unknown as KalturaTransport, session as unknown as AppTokenSession, logger);
  const settings: SyncSettings = {
    pageSize: request.settings.pageSize,
    readers: request.settings.readers,
    lookbackSeconds: request.settings.lookbackSeconds ?? 0,
    startTime: request.settings.startTime,
    progressIntervalMs: 3_600_000,
  };
  const plan = planSync([{ def: request.def, mode: request.mode, state: request.state }]);
  await runSync(client, listener, logger, settings, plan);
  return run;
}
