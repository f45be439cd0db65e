import type { StreamDefinition } from './definition.js';
import { entryParents } from './parents.js';

export const flavorAssets: StreamDefinition = {
  name: 'flavor_assets',
  schemaFile: 'flavor_assets.json',
  // flavorAsset.list refuses a filter without entryIdEqual/entryIdIn.
  source: { service: 'flavorasset', filterObjectType: 'KalturaFlavorAssetFilter', filter: {} },
  parents: { of: entryParents, filter: 'entryIdIn' },
  primaryKey: [['id']],
  cursorField: 'updatedAt',
  tieBreakerField: 'createdAt',
  boundary: 'client',
  uncapped: true,
  deletions: 'Deleted flavors and the flavors of deleted entries are never listed: only a full refresh drops them.',
};
