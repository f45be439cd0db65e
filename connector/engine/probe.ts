import type { KalturaClient } from '../kaltura/client.js';
import type { Filter, StreamDefinition } from '../streams/definition.js';
import { SourceSelector } from './source.js';

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
