import type { StreamDefinition } from './definition.js';
import { categories } from './categories.js';

export const categoryEntries: StreamDefinition = {
  name: 'category_entries',
  schemaFile: 'category_entries.json',
  source: { service: 'categoryentry', filterObjectType: 'KalturaCategoryEntryFilter', filter: {} },
  // Non-admin sessions and entitled partners must name entries or categories: batches of category ids.
  parents: { of: categories, filter: 'categoryIdIn' },
  primaryKey: [['categoryId'], ['entryId']],
  cursorField: 'createdAt',
  tieBreakerField: 'createdAt',
  boundary: 'client',
  uncapped: true,
  deletions: 'Kaltura never lists removed links (nor links of deleted entries or categories): incremental syncs only add links; only a full refresh (overwrite) drops removed ones.',
};
