/** A list filter's fields (one request's own, or a stream's defaults). */
export type Filter = Record<string, string | number>;

/** Where a stream's rows come from: one Kaltura list action and the filter that makes it complete. */
export interface ListSource {
  /** Service name on the wire, e.g. `media`, `baseentry`. */
  service: string;
  /** `objectType` of the filter, e.g. `KalturaMediaEntryFilter`. */
  filterObjectType: string;
  /** Filter fields every request carries (statuses, types) besides the cursor bounds. */
  filter: Filter;
}

/** A Kaltura object before it is shaped into a record. */
export type KalturaRow = Record<string, unknown>;

/**
 * Lists that refuse to list without naming their parents (categoryEntry, metadata for entries,
 * flavor and caption assets) are read by batches of parent ids: the parent stream is read in full
 * and each batch of its ids goes into `filter`.
 */
export interface ParentBatches {
  /** The stream whose ids are the parents; read by its own keyset reader (never output). */
  of: StreamDefinition;
  /** Filter field taking a comma-separated batch of parent ids, e.g. `categoryIdIn`. */
  filter: string;
  /** Parent ids per request (Kaltura cuts IN lists at 500). */
  batchSize?: number;
  /**
   * Leave out parents that are children of another parent (see `childOfField`): Kaltura answers
   * for a child with its parent's rows (captions), so naming both would list those rows twice.
   */
  skipChildren?: boolean;
}

/**
 * A stream is a declaration; the engine does the reading. Filter names derive from Kaltura's
 * conventions: a cursor `updatedAt` pages with `orderBy: +updatedAt`,
 * `updatedAtGreaterThanOrEqual` / `updatedAtLessThanOrEqual` and `idNotIn`.
 */
export interface StreamDefinition {
  /** The stream's public name: users' state and tables are keyed by it, so it never changes. */
  name: string;
  /** JSON Schema file in `schemas/`; for a stream made at run time, where its `schema` comes from (for messages). */
  schemaFile: string;
  /** The JSON Schema itself, for streams made at run time (one per metadata profile); else `schemaFile` is read. */
  schema?: Record<string, unknown>;
  source: ListSource;
  /**
   * Read through this source instead when Kaltura refuses the main one with SERVICE_FORBIDDEN
   * (a read-only role may list base entries but not media).
   */
  fallbackSource?: ListSource & { reason: string };
  primaryKey: string[][];
  /** Unix-seconds field that orders the keyset read and is the incremental cursor. */
  cursorField: string;
  /**
   * Second unix-seconds field used to order and cut a second that holds too many rows to page
   * through, in lists with the 10,000-row cap; an `uncapped` list pages such a second in its own
   * order instead and never reads this field.
   */
  tieBreakerField: string;
  /**
   * What a warehouse sees when an object is deleted (or changes unseen by the cursor) in Kaltura:
   * the README stream table's last column, word for word without its backticks
   * (test/unit/streamTable.test.ts holds the two together).
   */
  deletions: string;
  /**
   * How rows already read at the boundary second are left out: `idNotIn` (default; the list has
   * that filter) or `client` (the list has none: those rows are read again and dropped by primary
   * key, and a second that fills a page is read on its own by offset).
   */
  boundary?: 'idNotIn' | 'client';
  /** A database list: no 10,000-row cap on offsets. */
  uncapped?: boolean;
  /** Read by batches of parent ids (see ParentBatches). */
  parents?: ParentBatches;
  /** As a parent: the field naming a row's own parent row in the same stream (child entries). */
  childOfField?: string;
  /** Fields derived from the Kaltura object before the record is shaped (e.g. metadata XML parsed); `warnOnce` reports a kind of problem (`what`) once per stream. */
  transform?: (row: KalturaRow, warnOnce?: (what: string, message: string) => void) => KalturaRow;
  /**
   * Engine fields (primary key, cursor) that the Kaltura object holds under another name, which
   * `transform` renames for the record: a profile stream's `entryId` is the metadata's `objectId`.
   */
  rawFields?: Record<string, string>;
  /**
   * Why this server cannot serve the stream (a plugin it lacks). Set only on a stream a catalog
   * selects anyway: it fails at once with this reason, without a request; the others go on.
   */
  unavailable?: string;
}
