import type { KalturaClient } from '../kaltura/client.js';
import type { StreamDefinition } from '../streams/definition.js';
import { readKeyset, type KeysetOptions, type Page } from './keyset.js';
import { readBoundaryKeyset, type Filter } from './boundary.js';
import { SourceSelector } from './source.js';

/**
 * The parents are read up to here, not up to the read's start: a parent updated while the read
 * runs still has its children in the cursor range, and must not drop out of the batches.
 */
const openEnd = 2_147_483_647;

/**
 * Reads a stream whose list must name its parents (ParentBatches): the parent stream is read in
 * full by its keyset reader, its ids are cut into batches, and the children of each batch are read
 * over the cursor range by the boundary keyset reader. A new child can belong to any parent, old or
 * new, so every run walks every parent. Children of different batches are not in cursor order, so
 * no page moves the checkpoint: it stays at the start of the range until the pass is complete, when
 * the engine sets it to the read's start. State therefore stays one timestamp; a pass that is cut
 * short is read again from the same point next time.
 */
export async function* readPerParent(opts: KeysetOptions, range: { from?: number; to: number }): AsyncGenerator<Page> {
  const { def } = opts;
  const parents = def.parents!;
  const parentDef = parents.of;
  const idField = parentDef.primaryKey[0]![0]!;
  const batchSize = Math.min(parents.batchSize ?? 500, 500);
  const parentSource = new SourceSelector(opts.client, parentDef, opts.log);
  const parentRows = readKeyset({ ...opts, def: parentDef, source: parentSource, readers: 1 }, { from: undefined, to: openEnd, rowsRead: 0 });
  const hold = range.from ?? 0;
  let batch: string[] = [];
  let batches = 0;
  const readBatch = async function* (ids: string[]): AsyncGenerator<Page> {
    batches += 1;
    const base: Filter = { [parents.filter]: ids.join(',') };
    // Batch totals are not the stream's: no estimate is given.
    for await (const page of readBoundaryKeyset(opts, range, base)) yield { rows: page.rows, checkpoint: hold };
  };
  for await (const page of parentRows) {
    for (const row of page.rows) {
      batch.push(String(row[idField]));
      if (batch.length >= batchSize) {
        yield* readBatch(batch);
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield* readBatch(batch);
  opts.log(`${def.name}: read by ${batches} batch(es) of ${parentDef.name} ids`);
  yield { rows: [], checkpoint: hold };
}

/**
 * One row of a stream, as `check` asks for it: a stream that must name its parents asks for the
 * children of its first parent. Returns the service that answered and a phrase of what it saw.
 */
export async function probeStream(client: KalturaClient, def: StreamDefinition, log: (message: string) => void): Promise<{ service: string; visible: string }> {
  const source = new SourceSelector(client, def, log);
  let filter: Filter = {};
  let scope = '';
  if (def.parents) {
    const parentDef = def.parents.of;
    const parentSource = new SourceSelector(client, parentDef, log);
    const parent = (await parentSource.list({}, { pageSize: 1, pageIndex: 1 })).objects[0];
    if (!parent) return { service: source.service, visible: `no ${parentDef.name} to read it by` };
    const id = String(parent[parentDef.primaryKey[0]![0]!]);
    filter = { [def.parents.filter]: id };
    scope = ` for ${parentDef.name} ${id}`;
  }
  const page = await source.list(filter, { pageSize: 1, pageIndex: 1 });
  return { service: source.service, visible: `${page.totalCount} visible${scope}` };
}
