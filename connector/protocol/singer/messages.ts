import { secrets } from '../../util/redact.js';

// Singer messages, one JSON object per line on stdout. Every line but records passes through the
// secret registry; records were scrubbed of the session they were read with as each answer
// arrived (KalturaTransport's `once`), the one secret a URL in them can embed.

export function schemaMessage(stream: string, schema: object, keyProperties: string[], bookmarkProperties: string[]): string {
  return line({ type: 'SCHEMA', stream, schema, key_properties: keyProperties, bookmark_properties: bookmarkProperties });
}

export function recordLines(stream: string, records: object[], timeExtracted: string): string {
  // Built by hand around JSON.stringify of the record: the hot path, one line per record.
  const head = `{"type":"RECORD","stream":${JSON.stringify(stream)},"time_extracted":"${timeExtracted}","record":`;
  let out = '';
  for (const record of records) out += `${head}${JSON.stringify(record)}}\n`;
  return out;
}

/** A STATE's value is the whole state, every stream's bookmark, not only the one that moved. */
export function stateMessage(bookmarks: Record<string, unknown>): string {
  return line({ type: 'STATE', value: { bookmarks } });
}

export function line(message: object): string {
  return secrets.redact(`${JSON.stringify(message)}\n`);
}
