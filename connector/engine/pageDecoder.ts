import { answerText } from '../kaltura/answerText.js';
import type { AnswerDecoder } from '../kaltura/transport.js';
import type { KalturaRow, StreamDefinition } from '../streams/definition.js';
import { RecordShaper, streamSchema, type OutputRecord, type RecordRepair } from './records.js';
import { declaredTypes, integerFromText } from './cast.js';
import type { Logger } from '../util/logger.js';

/**
 * Decodes a stream's list pages as they arrive: the engine gets the few fields it pages by
 * (`engineFields`), each row tagged with its record, shaped, checked and serialized once to UTF-8
 * JSON, which the output writes as it is. The parsed page is garbage as soon as it is decoded.
 */
export class PageDecoder {
  private readonly fields: string[];
  /** For each of `fields`: whether Kaltura sends it as a number (an integer, or unix seconds). */
  private readonly numeric: boolean[];
  /** Compiled with the first page that needs records. */
  private shaper: RecordShaper | undefined;
  /** Fields already reported as cast or nulled: one line per stream and field. */
  private readonly noted = new Set<string>();

  constructor(
    private readonly def: StreamDefinition,
    private readonly options: DecodeOptions,
  ) {
    this.fields = engineFields(def);
    const properties = streamSchema(def).properties;
    this.numeric = this.fields.map((field) => {
      const property = properties[field];
      return property !== undefined && (property.format === 'date-time' || declaredTypes(property).includes('integer'));
    });
  }

  /** The transport's decoder: the page with each row tagged with its record (see `recordOf`). */
  readonly decode: AnswerDecoder = (body, ks) => {
    const page = this.decodePage(body, ks);
    if (page?.records) attach(page.objects, page.records);
    return page;
  };

  /**
   * A successful list page decoded; undefined for anything else (an error answer, a cut body, an
   * unexpected shape): the transport's ordinary parse then tells what it is.
   */
  decodePage(body: Buffer, ks: string | undefined): DecodedPage | undefined {
    let answer: unknown;
    try {
      answer = JSON.parse(answerText(body, ks));
    } catch {
      return undefined;
    }
    if (answer === null || typeof answer !== 'object') return undefined;
    const { objectType, totalCount, objects } = answer as Record<string, unknown>;
    if (typeof objectType !== 'string' || objectType === 'KalturaAPIException' || !Array.isArray(objects)) return undefined;
    const rows = objects as KalturaRow[];
    const page: DecodedPage = { objectType, totalCount: totalCount as number, objects: rows.map((row) => this.view(row)) };
    if (this.options.records) page.records = this.encodeRecords(rows, body.length);
    return page;
  }

  private view(row: KalturaRow): KalturaRow {
    const view: KalturaRow = {};
    const { fields, numeric } = this;
    // A profile stream's engine fields may sit under another name in Kaltura's row (`rawFields`).
    const renamed = this.def.rawFields;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      const value = row[renamed?.[field] ?? field];
      if (value === undefined) continue;
      // A number Kaltura sent as text (see cast.ts) is a number to the engine too: it filters and
      // compares by these fields, and its checkpoints are made of them.
      view[field] = numeric[i] && typeof value === 'string' ? (integerFromText(value) ?? value) : value;
    }
    return view;
  }

  private encodeRecords(rows: KalturaRow[], sizeHint: number): EncodedRecords {
    const { def } = this;
    const shaper = (this.shaper ??= new RecordShaper(def));
    const selected = this.options.fields;
    const ends = new Uint32Array(rows.length);
    let problems: Array<string | null> | undefined;
    let nulled: Array<readonly string[] | null> | undefined;
    // Records are about the size of the answer (times grow from numbers to RFC 3339 strings).
    let bytes: Buffer = Buffer.allocUnsafe(sizeHint + 32 * rows.length);
    let used = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const record = shaper.shape(def.transform ? def.transform(row, this.warnOnce) : row);
      const repair = shaper.repair(record);
      if (repair !== undefined) {
        if (repair.problem !== undefined) {
          problems ??= new Array<string | null>(rows.length).fill(null);
          problems[i] = repair.problem;
          ends[i] = used;
          continue;
        }
        const fields = this.noteRepair(record, repair);
        if (fields.length > 0) (nulled ??= new Array<readonly string[] | null>(rows.length).fill(null))[i] = fields;
      }
      const json = JSON.stringify(selected ? project(record, selected) : record);
      // A UTF-16 unit never takes more than 3 bytes of UTF-8.
      if (bytes.length - used < json.length * 3) bytes = grown(bytes, used, used + json.length * 3);
      used += bytes.write(json, used, 'utf8');
      ends[i] = used;
    }
    const encoded: EncodedRecords = { bytes: bytes.subarray(0, used), ends };
    if (problems) encoded.problems = problems;
    if (nulled) encoded.nulled = nulled;
    return encoded;
  }

  /**
   * Says once per field of this stream that Kaltura sent it in another type (the field, the record
   * that showed it first, the declared type; never the value), and returns the fields of the
   * output that were nulled in this record.
   */
  private noteRepair(record: OutputRecord, repair: RecordRepair): string[] {
    const { def } = this;
    const selected = this.options.fields;
    const inOutput = (field: string) => !selected || selected.includes(field);
    const key = def.primaryKey.map(([field]) => String(record[field!])).join('/');
    for (const { field, sent, declared } of repair.cast) {
      if (!inOutput(field) || !this.firstNote(`cast ${field}`)) continue;
      this.options.log?.info(`${def.name}: field "${field}" came as ${sent} where schemas/${def.schemaFile} declares ${declared} (first in record ${key}); it was cast without loss. Later casts of this field are not logged.`);
    }
    const nulled: string[] = [];
    for (const { field, sent, declared } of repair.nulled) {
      if (!inOutput(field)) continue;
      nulled.push(field);
      if (!this.firstNote(`null ${field}`)) continue;
      this.options.log?.warn(`${def.name}: field "${field}" of record ${key} came as ${sent}, which is not ${declared} and cannot be cast to it without loss; the record was kept with this field set to null. Other records of ${def.name} with such a value in "${field}" are written the same way without another warning.`);
    }
    return nulled;
  }

  /** For a stream's transform: a warning said once per stream, however many rows show it. */
  private readonly warnOnce = (what: string, message: string): void => {
    if (this.firstNote(what)) this.options.log?.warn(message);
  };

  private firstNote(what: string): boolean {
    if (this.noted.has(what)) return false;
    this.noted.add(what);
    return true;
  }
}

/**
 * A row's record, from a page decoded with records: its UTF-8 JSON (with the fields that had to be
 * nulled, if any), or why it cannot be written at all.
 */
export type EncodedRecord = { json: Buffer; nulled?: readonly string[]; problems?: undefined } | { json?: undefined; nulled?: undefined; problems: string };

export function recordOf(row: KalturaRow): EncodedRecord {
  const tagged = row as Tagged;
  const page = tagged[pageOf];
  const index = tagged[indexOf];
  if (page === undefined || index === undefined) throw new Error('a row reached the output without its record (a list page was not decoded by PageDecoder)');
  const problems = page.problems?.[index];
  if (problems) return { problems };
  const json = page.bytes.subarray(index === 0 ? 0 : page.ends[index - 1], page.ends[index]);
  const nulled = page.nulled?.[index];
  return nulled ? { json, nulled } : { json };
}

const pageOf = Symbol('encoded page');
const indexOf = Symbol('index in page');
interface Tagged {
  [pageOf]?: EncodedRecords;
  [indexOf]?: number;
}

function attach(rows: KalturaRow[], records: EncodedRecords): void {
  for (let i = 0; i < rows.length; i++) {
    const tagged = rows[i] as Tagged;
    tagged[pageOf] = records;
    tagged[indexOf] = i;
  }
}

/** What to make of a page besides the engine's fields. */
export interface DecodeOptions {
  /** Shape, check and serialize each row as a record of the stream; false for rows that are only walked (parents). */
  records: boolean;
  /** Fields to keep in each record (a catalog's selection); undefined: every field. */
  fields?: string[] | undefined;
  /** Where a value cast to its declared type, or nulled, is reported (once per field). */
  log?: Pick<Logger, 'info' | 'warn'> | undefined;
}

/**
 * Each row's record as UTF-8 JSON, end to end in `bytes`: row i is `bytes[ends[i - 1] .. ends[i]]`.
 * `nulled[i]`: the fields of row i's record set to null because their value could not be given in
 * the declared type. A row whose record cannot be written (a required key of no usable type) has
 * no bytes and its `problems`.
 */
export interface EncodedRecords {
  bytes: Buffer;
  ends: Uint32Array;
  problems?: Array<string | null>;
  nulled?: Array<readonly string[] | null>;
}

/**
 * A list answer decoded: `objects` hold only the fields the engine pages by (primary key, cursor,
 * tie-breaker, parent link), which is all it reads of a row; the records go to the output as bytes.
 */
export interface DecodedPage {
  objectType: string;
  totalCount: number;
  objects: KalturaRow[];
  records?: EncodedRecords;
}

/** What the engine reads of a row: `id` (keyset exclusions), the primary key, the cursor fields and the parent link. */
export function engineFields(def: StreamDefinition): string[] {
  const fields = ['id', ...def.primaryKey.map((path) => path[0]!), def.cursorField, def.tieBreakerField];
  if (def.childOfField) fields.push(def.childOfField);
  return [...new Set(fields)];
}

function grown(bytes: Buffer, used: number, needed: number): Buffer {
  const larger = Buffer.allocUnsafe(Math.max(needed, bytes.length * 2));
  bytes.copy(larger, 0, 0, used);
  return larger;
}

function project(record: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) if (record[field] !== undefined) out[field] = record[field];
  return out;
}
