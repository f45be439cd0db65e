import { stringify } from 'csv-stringify/sync';
import { AtomicFile, type Opener } from './atomicFile.js';
import { framed } from './framed.js';

export const outputFormats = ['csv', 'jsonl'] as const;
export type OutputFormat = (typeof outputFormats)[number];

/**
 * How a batch of records becomes a file's bytes. Records arrive serialized (UTF-8 JSON): the
 * schema's fields, or those selected, in schema order.
 */
export interface RecordFormat {
  readonly extension: OutputFormat;
  /** What a file starts with, even when it gets no record. */
  header(): string;
  lines(records: Buffer[]): string | Buffer;
}

/** One JSON object per line, exactly the record the engine serialized. */
export function jsonlFormat(): RecordFormat {
  return {
    extension: 'jsonl',
    header: () => '',
    lines: (records) => framed(records, '', '\n'),
  };
}

/**
 * RFC 4180 CSV in UTF-8 (no byte-order mark, `\n` line ends), with a header row of the schema's
 * fields in schema order. A cell is quoted when it holds a comma, a quote (doubled) or a line
 * break. Absent and null values are empty cells; an empty string is `""`, so the two stay apart.
 * Booleans are `true`/`false`, numbers as JSON writes them, arrays and objects as JSON text, and
 * times as the records carry them (RFC 3339 UTC, `2024-05-01T12:00:00Z`).
 */
export function csvFormat(columns: readonly string[]): RecordFormat {
  const options = {
    columns: [...columns],
    cast: {
      string: (value: string) => (value === '' ? { value: '', quoted_empty: true } : value),
      boolean: (value: boolean) => (value ? 'true' : 'false'),
      number: (value: number) => JSON.stringify(value),
      bigint: (value: bigint) => value.toString(),
      object: (value: object) => JSON.stringify(value),
    },
  };
  return {
    extension: 'csv',
    header: () => stringify([], { ...options, header: true }),
    lines: (records) => (records.length === 0 ? '' : stringify(records.map((json) => JSON.parse(json.toString('utf8')) as Record<string, unknown>), options)),
  };
}

export function recordFormat(format: OutputFormat, columns: readonly string[]): RecordFormat {
  return format === 'csv' ? csvFormat(columns) : jsonlFormat();
}

/**
 * One stream's output file for one run. Records are appended as they come; `mark` notes that a
 * saved state now covers everything written so far, so that a stream that fails later can keep
 * exactly the covered part (`commitMarked`) and nothing its state does not vouch for.
 */
export class RecordFileSink {
  private written = 0;
  private markedBytes = 0;
  private markedRecords = 0;

  private constructor(
    private readonly file: AtomicFile,
    private readonly format: RecordFormat,
  ) {}

  static async open(path: string, format: RecordFormat, open?: Opener): Promise<RecordFileSink> {
    const file = await AtomicFile.create(path, open);
    const sink = new RecordFileSink(file, format);
    try {
      await file.write(format.header());
    } catch (err) {
      await file.discard();
      throw err;
    }
    sink.markedBytes = file.size;
    return sink;
  }

  get path(): string {
    return this.file.path;
  }

  get tempPath(): string {
    return this.file.tempPath;
  }

  /** Records written so far. */
  get records(): number {
    return this.written;
  }

  /** Records a saved state covers (see `mark`). */
  get markedRecordCount(): number {
    return this.markedRecords;
  }

  async write(records: Buffer[]): Promise<void> {
    if (records.length === 0) return;
    // No redaction here: records were scrubbed of the session they were read with as each answer
    // arrived (`answerText`, kaltura/answerText.ts), so a URL that embeds a session does not carry it into a file.
    await this.file.write(this.format.lines(records));
    this.written += records.length;
  }

  mark(): void {
    this.markedBytes = this.file.size;
    this.markedRecords = this.written;
  }

  /** The whole file, complete: flushed, closed and renamed to its final name. */
  async commit(): Promise<void> {
    await this.file.commit();
  }

  /** Only what was written up to the last `mark` (never part of a write that failed), then committed. */
  async commitMarked(): Promise<void> {
    await this.file.truncate(this.markedBytes);
    this.written = this.markedRecords;
    await this.file.commit();
  }

  async discard(): Promise<void> {
    await this.file.discard();
  }

  discardSync(): void {
    this.file.discardSync();
  }
}
