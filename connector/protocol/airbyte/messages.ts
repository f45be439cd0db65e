import type { FailureType } from '../../util/errors.js';
import { secrets } from '../../util/redact.js';
import type { LogLevel } from '../../util/logger.js';
import { framed } from '../../sinks/framed.js';
import type { AirbyteMessage } from '../../generated/airbyte.js';
import type { StreamState } from '../../engine/state.js';

// Airbyte protocol messages, one JSON object per line. Text that may quote Kaltura passes
// through the secret registry: an API error can echo a KS. Their type comes from
// schemas/airbyte-message.schema.json; RECORD lines are built as bytes (see recordLines).

export function logMessage(level: LogLevel, message: string): string {
  return line({ type: 'LOG', log: { level, message: secrets.redact(message) } });
}

/**
 * RECORD lines around records already serialized (UTF-8 JSON): the hot path, bytes in, bytes out.
 * A record with nulled fields (`nulled`: by index) says so in `meta.changes`, as the protocol has
 * sources do for a value they could not give in the declared type.
 */
export function recordLines(stream: string, records: Buffer[], emittedAt: number, nulled?: ReadonlyMap<number, readonly string[]>): Buffer {
  const head = `{"type":"RECORD","record":{"stream":${JSON.stringify(stream)},"emitted_at":${emittedAt},"data":`;
  if (!nulled || nulled.size === 0) return framed(records, head, '}}\n');
  const lines: Buffer[] = [];
  let from = 0;
  for (const [index, fields] of [...nulled].sort((a, b) => a[0] - b[0])) {
    if (index > from) lines.push(framed(records.slice(from, index), head, '}}\n'));
    lines.push(framed([records[index]!], head, `,"meta":${JSON.stringify({ changes: fields.map((field) => ({ field, change: 'NULLED', reason: 'SOURCE_SERIALIZATION_ERROR' })) })}}}\n`));
    from = index + 1;
  }
  if (from < records.length) lines.push(framed(records.slice(from), head, '}}\n'));
  return Buffer.concat(lines);
}

export function stateMessage(stream: string, state: StreamState, recordCount: number): string {
  return line({ type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state: state }, sourceStats: { recordCount } } });
}

type TraceOf<K extends 'stream_status' | 'error'> = NonNullable<NonNullable<AirbyteMessage['trace']>[K]>;

export function streamStatus(stream: string, status: TraceOf<'stream_status'>['status']): string {
  return line({ type: 'TRACE', trace: { type: 'STREAM_STATUS', emitted_at: Date.now(), stream_status: { stream_descriptor: { name: stream }, status } } });
}

export function estimateMessage(stream: string, rows: number): string {
  return line({ type: 'TRACE', trace: { type: 'ESTIMATE', emitted_at: Date.now(), estimate: { name: stream, type: 'STREAM', row_estimate: rows } } });
}

export function errorTrace(message: string, failureType: FailureType, internalMessage?: string, stream?: string): string {
  const error: TraceOf<'error'> = { message: secrets.redact(message), failure_type: failureType };
  if (internalMessage) error.internal_message = secrets.redact(internalMessage);
  if (stream) error.stream_descriptor = { name: stream };
  return line({ type: 'TRACE', trace: { type: 'ERROR', emitted_at: Date.now(), error } });
}

export function connectionStatus(status: NonNullable<AirbyteMessage['connectionStatus']>['status'], message: string): string {
  return line({ type: 'CONNECTION_STATUS', connectionStatus: { status, message: secrets.redact(message) } });
}

export function line(message: AirbyteMessage): string {
  return `${JSON.stringify(message)}\n`;
}
