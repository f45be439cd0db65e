import type { KalturaClient } from '../kaltura/client.js';
import type { StreamDefinition } from '../streams/definition.js';
import { inListLimit, readKeyset, type Filter, type KeysetOptions, type Page } from './keyset.js';
import { readWindows } from './windows.js';
import { FanIn } from './fanIn.js';
import { SourceSelector } from './source.js';
import { PageDecoder } from './pageDecoder.js';
import { ParentFeed, type ParentTicket } from './parentFeed.js';

/**
 * The parents are read up to here, not only up to the read's start: a parent updated while the
 * read runs still has its children in the cursor range, and must not drop out of the batches.
 */
const openEnd = 2_147_483_647;

/**
 * Reads a stream whose list must name its parents (ParentBatches): the parent stream is read in
 * full by its windowed keyset reader, its ids are cut into batches, and the children of each batch
 * are read over the cursor range by the keyset reader (one request at a time each), up to `readers` batches at once
 * (the client's limiter still bounds the requests of the whole sync). A new child can belong to
 * any parent, old or new, so every run walks every parent. Children of different batches are not
 * in cursor order, so no page moves the checkpoint: it stays at the start of the range until the
 * pass is complete, when the engine sets it to the read's start. State therefore stays one
 * timestamp; a pass that is cut short is read again from the same point next time.
 * `parentsTicket` is this stream's place in the walk of its parents (see `parentFeed`), which
 * every stream naming the same parents shares.
 */
export async function* readPerParent(options: KeysetOptions, range: { from?: number; to: number }, parentsTicket: ParentTicket): AsyncGenerator<Page> {
  const { def } = options;
  const parents = def.parents!;
  const parentDef = parents.of;
  const batchSize = Math.min(parents.batchSize ?? inListLimit, inListLimit);
  const width = Math.max(1, options.readers ?? 1);
  // Batches fan in to the consumer; the walk of the parents feeds them as places free up.
  const fan = new FanIn<Page['rows']>(width, width, options.signal);
  const opts: KeysetOptions = { ...options, signal: fan.signal };
  const parentIds = parentsTicket.subscribe(parents.skipChildren);
  const hold = range.from ?? 0;
  let batches = 0;

  const readBatch = async (ids: string[], emit: (rows: Page['rows']) => Promise<void>): Promise<void> => {
    const base: Filter = { [parents.filter]: ids.join(',') };
    // One request at a time per batch: the batches themselves fill the width. Batch totals are
    // not the stream's: no estimate is given.
    for await (const page of readKeyset({ ...opts, base, width: () => 1 }, range)) if (page.rows.length > 0) await emit(page.rows);
  };
  const launch = async (ids: string[]): Promise<void> => {
    await fan.room();
    batches += 1;
    void fan.add((emit) => readBatch(ids, emit));
  };
  const walking = fan.hold();
  void (async () => {
    let batch: string[] = [];
    for await (const ids of parentIds) {
      for (const id of ids) {
        batch.push(id);
        if (batch.length >= batchSize) {
          await launch(batch);
          batch = [];
        }
      }
    }
    if (batch.length > 0) await launch(batch);
  })().then(walking, (error: unknown) => {
    fan.fail(error);
    walking();
  });

  try {
    for await (const rows of fan.items()) yield { rows, checkpoint: hold };
  } finally {
    // Not awaited: a walk page still on its way settles first, then the place is given up.
    parentIds.return(undefined).catch(() => undefined);
  }
  opts.log(`${def.name}: read by ${batches} batch(es) of ${parentDef.name} ids, up to ${width} at once`);
  yield { rows: [], checkpoint: hold };
}

/**
 * The walk of a parent stream's ids up to `to`, for `readers` streams: the parents up to the
 * read's start side by side, then the few updated since, so that none drops out.
 */
export function parentFeed(parentDef: StreamDefinition, reading: Pick<KeysetOptions, 'pageSize' | 'readers' | 'log'> & { client: KalturaClient }, to: number, readers: string[]): ParentFeed {
  // The walk is no stream of its own: its logs say whose parents it reads.
  const label = `parent ${parentDef.name} of ${readers.join(', ')}`;
  const idField = parentDef.primaryKey[0]![0]!;
  return new ParentFeed(async function* (signal) {
    const source = new SourceSelector(reading.client, parentDef, reading.log, new PageDecoder(parentDef, { records: false }));
    const options = { pageSize: reading.pageSize, log: reading.log, def: parentDef, source, readers: Math.max(1, reading.readers ?? 1), signal, label };
    yield* readWindows(options, [{ from: undefined, to }]);
    yield* readKeyset(options, { from: to + 1, to: openEnd });
  }, idField, parentDef.childOfField, readers.length);
}
