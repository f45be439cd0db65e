/** Where a stream's rows come from: one Kaltura list action and the filter that makes it complete. */
export interface ListSource {
  /** Service name on the wire, e.g. `media`, `baseentry`. */
  service: string;
  /** `objectType` of the filter, e.g. `KalturaMediaEntryFilter`. */
  filterObjectType: string;
  /** Filter fields every request carries (statuses, types) besides the cursor bounds. */
  filter: Record<string, string | number>;
}

/**
 * A stream is a declaration; the engine does the reading. Filter names derive from Kaltura's
 * conventions: a cursor `updatedAt` pages with `orderBy: +updatedAt`,
 * `updatedAtGreaterThanOrEqual` / `updatedAtLessThanOrEqual` and `idNotIn`.
 */
export interface StreamDefinition {
  /** The stream's public name: users' state and tables are keyed by it, so it never changes. */
  name: string;
  /** JSON Schema file in `schemas/`. */
  schemaFile: string;
  source: ListSource;
  /**
   * Read through this source instead when Kaltura refuses the main one with SERVICE_FORBIDDEN
   * (a read-only role may list base entries but not media).
   */
  fallbackSource?: ListSource & { reason: string };
  primaryKey: string[][];
  /** Unix-seconds field that orders the keyset read and is the incremental cursor. */
  cursorField: string;
  /** Second unix-seconds field used to cut a second that holds too many rows to page through. */
  tieBreakerField: string;
  /** What a warehouse sees when an object is deleted in Kaltura (README stream table). */
  deletions: string;
}
