import { connectorSpec, loadConfig, type Config } from '../../config/config.js';
import type { StreamState } from '../../engine/state.js';
import { planSync, runSync, settingsOf, type SyncListener } from '../../engine/sync.js';
import { RunRefusedError, type ConnectorError } from '../../util/errors.js';
import { describeFailure } from '../../kaltura/errorTable.js';
import { createKalturaClient } from '../../kaltura/index.js';
import type { KalturaClient } from '../../kaltura/client.js';
import { announceStreams, anyServerStreams, resolveStreams, type ServerStreams } from '../../streams/resolve.js';
import { LineWriter } from '../../sinks/lineWriter.js';
import { streams } from '../../streams/index.js';
import { exitCodes } from '../../util/exitCodes.js';
import { defaultSelections, selectionsFromNames, type RequestedStream } from '../selections.js';
import { readJsonFile } from '../../util/files.js';
import { Logger, stderrLogger } from '../../util/logger.js';
import { packageInfo } from '../../util/paths.js';
import { bookmarksFromSingerState, keyProperties, selectionsFromSingerCatalog, singerCatalog, singerSchema, type SingerSelection } from './catalog.js';
import * as msg from './messages.js';

export const tapName = 'tap-kaltura';
export const capabilities = ['catalog', 'discover', 'state', 'about'];

/**
 * Singer output: SCHEMA before a stream's first record, RECORD lines, and a STATE holding every
 * stream's bookmark after each checkpoint, which the engine only makes once the records it covers
 * are written. Logs go to stderr.
 */
export class SingerOutput implements SyncListener {
  private readonly selections = new Map<string, SingerSelection>();

  constructor(
    selections: SingerSelection[],
    /** Bookmarks handed over with --state: those of streams not read now are kept as they are. */
    private readonly bookmarks: Record<string, unknown>,
    private readonly out = new LineWriter(process.stdout),
    readonly log: Logger = stderrLogger,
  ) {
    for (const s of selections) this.selections.set(s.def.name, s);
  }

  flush(): Promise<void> {
    return this.out.flush();
  }

  started(stream: string): Promise<void> {
    const { def, mode, fields } = this.selection(stream);
    const bookmarkProperties = mode === 'incremental' ? [def.cursorField] : [];
    return this.out.write(msg.schemaMessage(stream, singerSchema(def, fields), keyProperties(def), bookmarkProperties));
  }

  async estimate(): Promise<void> {
    // The engine logs the estimate; Singer has no message for it.
  }

  records(stream: string, records: Buffer[]): Promise<void> {
    return this.out.write(msg.recordLines(stream, records, new Date().toISOString()));
  }

  checkpoint(stream: string, state: StreamState): Promise<void> {
    this.bookmarks[stream] = state;
    return this.out.write(msg.stateMessage(this.bookmarks));
  }

  async completed(): Promise<void> {
    // The engine logs the stream's end.
  }

  async failed(_stream: string, error: ConnectorError): Promise<void> {
    // The engine has logged the message; the details help whoever reads the log.
    if (error.internalMessage) this.log.debug(error.internalMessage);
  }

  private selection(stream: string): SingerSelection {
    const s = this.selections.get(stream);
    if (!s) throw new Error(`stream ${stream} was not selected`);
    return s;
  }
}

/** `--discover`: the catalog on stdout, once the config is known to be valid. */
export async function singerDiscover(configPath: string, out = new LineWriter(process.stdout), log: Logger = stderrLogger): Promise<number> {
  return inputErrorsExit(log, async () => {
    const config = await loadConfig(configPath);
    // The streams of this server: discover logs in, and says once what it leaves out.
    const server = await resolveStreams(createKalturaClient(config, log, { retries: 2 }));
    announceStreams(server, log);
    await out.write(`${JSON.stringify(singerCatalog(server.available), null, 2)}\n`);
    await out.flush();
    return exitCodes.ok;
  });
}

export interface SingerSyncPaths {
  config: string;
  catalog?: string;
  state?: string;
  /** `--streams`: the streams to read, instead of a catalog. */
  streams?: RequestedStream[];
}

/** A Singer sync: every selected stream, the STATE after the records it covers, exit 1 if a stream failed. */
export async function singerSync(paths: SingerSyncPaths, out = new LineWriter(process.stdout), log: Logger = stderrLogger): Promise<number> {
  let inputs: { config: Config; bookmarks: Record<string, unknown>; catalog: unknown; wanted?: string[] } | undefined;
  const code = await inputErrorsExit(log, async () => {
    const config = await loadConfig(paths.config);
    const bookmarks = bookmarksFromSingerState(paths.state ? await readJsonFile(paths.state, 'state') : undefined);
    const catalog = paths.catalog ? await readJsonFile(paths.catalog, 'catalog') : undefined;
    // Refused before any request: a catalog or a state that no server could take.
    const asked = catalog !== undefined ? selectionsFromSingerCatalog(catalog, bookmarks, anyServerStreams()) : paths.streams ? selectionsFromNames(paths.streams, bookmarks) : defaultSelections(bookmarks);
    planSync(asked);
    // The streams this run reads, when a catalog or --streams names them (profile names included).
    const wanted = catalog !== undefined ? asked.map((s) => s.def.name) : paths.streams?.map((r) => r.name);
    inputs = { config, bookmarks, catalog, wanted };
    return exitCodes.ok;
  });
  if (!inputs) return code;
  const { config, bookmarks, catalog, wanted } = inputs;
  const run = closableLogger(log);
  const client = createKalturaClient(config, run.log);
  let prepared: { selections: SingerSelection[]; plan: ReturnType<typeof planSync> } | undefined;
  const resolved = await serverStreamsOrExit(client, log, async (server) => {
    const selections = catalog !== undefined ? selectionsFromSingerCatalog(catalog, bookmarks, server) : paths.streams ? selectionsFromNames(paths.streams, bookmarks, server) : defaultSelections(bookmarks, server.available);
    if (catalog === undefined && !paths.streams) announceStreams(server, log);
    else for (const warning of server.warnings) log.warn(warning);
    prepared = { selections, plan: planSync(selections) };
  }, wanted);
  if (!prepared) return resolved;
  const { selections, plan } = prepared;
  if (plan.length === 0) {
    log.warn('The catalog selects no stream: nothing to read. Mark streams with "selected": true (Meltano: the select extra).');
    return exitCodes.ok;
  }
  log.info(`Reading ${selections.map((s) => `${s.def.name} (${s.mode === 'incremental' ? 'INCREMENTAL' : 'FULL_TABLE'})`).join(', ')}`);
  const output = new SingerOutput(selections, bookmarks, out, run.log);
  let result;
  try {
    result = await runSync(client, output, run.log, settingsOf(config), plan);
  } catch (err) {
    // A refused session (runSync's only throw) ends the run before any stream: nothing was read.
    if (!(err instanceof RunRefusedError)) throw err;
    run.close();
    log.error(err.message);
    return exitCodes.badInput;
  }
  await output.flush();
  const summary = Object.entries(result.counts).map(([s, n]) => `${s}: ${n}`).join(', ');
  // The summary is the last line: requests a failed stream left behind (retries of its other
  // windows) may still end after it, and what they log is dropped.
  run.close();
  log.info(`Sync finished: ${summary}${result.failed.length ? `; failed streams: ${result.failed.join(', ')}` : ''}`);
  return result.failed.length > 0 ? exitCodes.streamFailed : exitCodes.ok;
}

/** A logger that passes lines on to `log` until `close()`, and drops them afterwards. */
export function closableLogger(log: Logger): { log: Logger; close(): void } {
  let closed = false;
  const methods = { DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  return {
    log: new Logger((level, message) => {
      if (!closed) log[methods[level]](message);
    }),
    close: () => {
      closed = true;
    },
  };
}

/** `--about`: what Meltano (or a person) needs to know to configure the tap. */
export function about(format: 'json' | 'text'): string {
  const settings = connectorSpec.connectionSpecification as { properties: Record<string, { type?: string; description?: string; default?: unknown; airbyte_secret?: boolean }>; required?: string[] };
  if (format === 'json') {
    return `${JSON.stringify({ name: tapName, description: packageInfo.description, version: packageInfo.version, capabilities, settings }, null, 2)}\n`;
  }
  const required = new Set(settings.required ?? []);
  const lines = [`${tapName} ${packageInfo.version}`, packageInfo.description, '', `Capabilities: ${capabilities.join(', ')}`, '', 'Settings:'];
  for (const [name, s] of Object.entries(settings.properties)) {
    const notes = [s.type ?? 'any', required.has(name) ? 'required' : undefined, s.airbyte_secret ? 'secret' : undefined, s.default !== undefined ? `default ${JSON.stringify(s.default)}` : undefined].filter(Boolean);
    lines.push(`  ${name} (${notes.join(', ')}): ${s.description ?? ''}`);
  }
  lines.push('', `Streams: ${streams.map((s) => s.name).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The streams of this server, handed to `use`. Once requests go out, a failure is no longer bad
 * input: a login refused or a server out of reach ends the run as a failed read (exit 1), as it
 * would have failed every stream; a catalog that does not fit the server is still bad input (2).
 */
async function serverStreamsOrExit(client: KalturaClient, log: Logger, use: (server: ServerStreams) => Promise<void>, wanted?: readonly string[]): Promise<number> {
  let server: ServerStreams;
  try {
    server = await resolveStreams(client, wanted);
  } catch (err) {
    const error = describeFailure(err, { ...client.session.failureContext });
    log.error(error.message);
    // A session refused at login (a USER token without list:*) is refused as bad input is.
    if (err instanceof RunRefusedError) return exitCodes.badInput;
    if (error.internalMessage) log.debug(error.internalMessage);
    return exitCodes.streamFailed;
  }
  return inputErrorsExit(log, async () => {
    await use(server);
    return exitCodes.ok;
  });
}

/** Bad input (config, catalog, state) is refused before any request, with exit code 2. */
async function inputErrorsExit(log: Logger, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    const error = describeFailure(err);
    log.error(error.message);
    if (error.failureType !== 'config_error' && error.internalMessage) log.debug(error.internalMessage);
    return error.failureType === 'config_error' ? exitCodes.badInput : exitCodes.streamFailed;
  }
}
