import { connectorSpec, loadConfig, type Config } from '../../config/config.js';
import { planSync, runSync, settingsOf, type SyncListener } from '../../engine/sync.js';
import { probeStream } from '../../engine/probe.js';
import type { StreamState } from '../../engine/state.js';
import { createKalturaClient } from '../../kaltura/index.js';
import { hasCode } from '../../kaltura/errors.js';
import { RunRefusedError, type ConnectorError } from '../../util/errors.js';
import { describeFailure } from '../../kaltura/errorTable.js';
import { diagnoseSession } from '../../kaltura/diagnosis.js';
import { announceStreams, anyServerStreams, describeUnavailable, resolveStreams, type ServerStreams } from '../../streams/resolve.js';
import { LineWriter } from '../../sinks/lineWriter.js';
import { Logger } from '../../util/logger.js';
import { readJsonFile } from '../../util/files.js';
import { airbyteCatalog, readAirbyteStateFile, selectionsFromCatalog, statesFromAirbyte } from './catalog.js';
import * as msg from './messages.js';

/** Everything Airbyte reads comes on stdout, logs included (as LOG messages). */
export class AirbyteOutput implements SyncListener {
  readonly log: Logger;
  constructor(private readonly out = new LineWriter(process.stdout)) {
    this.log = new Logger((level, message) => void this.out.write(msg.logMessage(level, message)));
  }
  write(text: string): Promise<void> {
    return this.out.write(text);
  }
  flush(): Promise<void> {
    return this.out.flush();
  }
  started(stream: string): Promise<void> {
    return this.out.write(msg.streamStatus(stream, 'STARTED'));
  }
  estimate(stream: string, rows: number): Promise<void> {
    return this.out.write(msg.estimateMessage(stream, rows));
  }
  records(stream: string, records: Buffer[], nulled?: ReadonlyMap<number, readonly string[]>): Promise<void> {
    // Record data was scrubbed of the session it was read with where it arrived (`answerText`, kaltura/answerText.ts).
    return this.out.write(msg.recordLines(stream, records, Date.now(), nulled));
  }
  checkpoint(stream: string, state: StreamState, recordsSinceLast: number): Promise<void> {
    return this.out.write(msg.stateMessage(stream, state, recordsSinceLast));
  }
  completed(stream: string): Promise<void> {
    return this.out.write(msg.streamStatus(stream, 'COMPLETE'));
  }
  async failed(stream: string, error: ConnectorError): Promise<void> {
    await this.out.write(msg.errorTrace(error.message, error.failureType, error.internalMessage, stream));
    await this.out.write(msg.streamStatus(stream, 'INCOMPLETE'));
  }
}

export async function spec(out: AirbyteOutput): Promise<number> {
  await out.write(msg.line({ type: 'SPEC', spec: connectorSpec }));
  return 0;
}

/**
 * The streams this server and token can serve: the fixed ones its plugins allow, and one per
 * metadata profile. Discover logs in for that; a stream the server lacks is not offered (said once).
 */
export async function discover(out: AirbyteOutput, configPath: string): Promise<number> {
  return failOnError(out, async () => {
    const config = await loadConfig(configPath);
    const server = await resolveStreams(createKalturaClient(config, out.log, { retries: 2 }));
    announceStreams(server, out.log);
    await out.write(msg.line({ type: 'CATALOG', catalog: airbyteCatalog(server.available) }));
    return 0;
  });
}

/**
 * `check` always exits 0: a wrong credential is a FAILED status that says what to fix, not a
 * crash. It logs in, reads one row of every fixed stream the server serves, and reports what the
 * session can see. Streams of plugins the server lacks are listed with the reason, not failed:
 * the other streams can still be synced.
 */
export async function check(out: AirbyteOutput, configPath: string): Promise<number> {
  let config: Config;
  try {
    config = await loadConfig(configPath);
  } catch (err) {
    await out.write(msg.connectionStatus('FAILED', describeFailure(err).message));
    return 0;
  }
  const client = createKalturaClient(config, out.log, { retries: 2 });
  let diagnosis;
  let server: ServerStreams;
  try {
    await client.session.ks();
    diagnosis = diagnoseSession(client.session.info!);
    server = await resolveStreams(client);
  } catch (err) {
    await out.write(msg.connectionStatus('FAILED', describeFailure(err, client.session.failureContext).message));
    return 0;
  }
  const readable: string[] = [];
  const unreadable: string[] = [];
  const forbidden: string[] = [];
  const profileStreams = new Set(server.profiles.map((p) => p.def));
  for (const def of server.available) {
    // Profile streams read through metadata_metadata.list like `metadata`: listed, not probed one by one.
    if (profileStreams.has(def)) continue;
    try {
      const probe = await probeStream(client, def, (m) => diagnosis.warnings.push(m));
      readable.push(`${def.name} (via ${probe.service}.list, ${probe.visible})`);
    } catch (err) {
      const line = `${def.name}: ${describeFailure(err, client.session.failureContext).message}`;
      // A role without one stream's permission can still sync the others: say which it lacks.
      if (hasCode(err, 'SERVICE_FORBIDDEN')) forbidden.push(line);
      else unreadable.push(line);
    }
  }
  diagnosis.warnings.push(...server.warnings);
  for (const warning of diagnosis.warnings) out.log.warn(`check: ${warning}`);
  const parts = [`Session: ${diagnosis.facts.join('; ')}.`, `Readable streams: ${readable.join(', ') || 'none'}.`];
  if (server.profiles.length) parts.push(`Metadata profile streams: ${server.profiles.map((p) => `${p.def.name} (profile ${p.profile.id})`).join(', ')}.`);
  if (server.unavailable.length) parts.push(`Not available on this server (discover does not offer them): ${describeUnavailable(server.unavailable)}.`);
  if (unreadable.length) parts.push(`Unreadable: ${unreadable.join(' ')}`);
  if (forbidden.length) parts.push(`Not permitted to this session's role (deselect these streams or add the permission to the role): ${forbidden.join(' ')}`);
  if (diagnosis.warnings.length) parts.push(`Warnings: ${diagnosis.warnings.map((w, i) => `(${i + 1}) ${w}`).join(' ')}`);
  await out.write(msg.connectionStatus(unreadable.length || readable.length === 0 ? 'FAILED' : 'SUCCEEDED', parts.join(' ')));
  return 0;
}

export async function read(out: AirbyteOutput, paths: { config: string; catalog: string; state?: string }): Promise<number> {
  return failOnError(out, async () => {
    const config = await loadConfig(paths.config);
    const catalog = await readJsonFile(paths.catalog, 'catalog');
    const states = statesFromAirbyte(paths.state ? await readAirbyteStateFile(paths.state) : undefined);
    // Refused before any request: a catalog or a state that no server could take.
    const asked = planSync(selectionsFromCatalog(catalog, states, anyServerStreams()));
    const client = createKalturaClient(config, out.log);
    // The catalog is checked against what this server serves: a stream it lacks fails alone.
    let server: ServerStreams;
    try {
      server = await resolveStreams(client, asked.map((s) => s.def.name));
    } catch (err) {
      // A session refused for the whole run stays one error; anything else (Kaltura out of
      // reach, a login that fails) fails each selected stream with its cause, as a read would.
      if (err instanceof RunRefusedError) throw err;
      const error = describeFailure(err, { ...client.session.failureContext });
      for (const { def } of asked) await out.failed(def.name, error);
      out.log.error(error.message);
      return 1;
    }
    for (const warning of server.warnings) out.log.warn(warning);
    const plan = planSync(selectionsFromCatalog(catalog, states, server));
    const result = await runSync(client, out, out.log, settingsOf(config), plan);
    const summary = Object.entries(result.counts).map(([s, n]) => `${s}: ${n}`).join(', ');
    out.log.info(`Sync finished: ${summary}${result.failed.length ? `; failed streams: ${result.failed.join(', ')}` : ''}`);
    return result.failed.length > 0 ? 1 : 0;
  });
}

/** Input errors (config, catalog, state) end the run with a TRACE error before any request is sent. */
async function failOnError(out: AirbyteOutput, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    const error = describeFailure(err);
    out.log.error(error.message);
    await out.write(msg.errorTrace(error.message, error.failureType, error.internalMessage));
    return 1;
  }
}
