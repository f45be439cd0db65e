import { secrets } from '../../util/redact.js';
import { framed } from '../../sinks/framed.js';

// Singer messages, one JSON object per line on stdout. Every line but records passes through the
// secret registry; records were scrubbed of the session they were read with as each answer
// arrived (`answerText`, kaltura/answerText.ts), the one secret a URL in them can embed.

export function schemaMessage(stream: string, schema: object, keyProperties: string[], bookmarkProperties: string[]): string {
  return line({ type: 'SCHEMA', stream, schema, key_properties: keyProperties, bookmark_properties: bookmarkProperties });
}

/** RECORD lines around records already serialized (UTF-8 JSON): the hot path, bytes in, bytes out. */
export function recordLines(stream: string, records: Buffer[], timeExtracted: string): Buffer {
  return framed(records, `{"type":"RECORD","stream":${JSON.stringify(stream)},"time_extracted":"${timeExtracted}","record":`, '}\n');
}

/** A STATE's value is the whole state, every stream's bookmark, not only the one that moved. */
export function stateMessage(bookmarks: Record<string, unknown>): string {
  return line({ type: 'STATE', value: { bookmarks } });
}

export function line(message: object): string {
  return secrets.redact(`${JSON.stringify(message)}\n`);
}
