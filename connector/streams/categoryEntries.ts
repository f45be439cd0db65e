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
  deletions: 'Kaltura never lists a removed link (nor the links of deleted entries or categories). Incremental syncs only add links: a link activated or rejected later keeps its createdAt, so status changes, like removals, reach the warehouse only with a full refresh (overwrite).',
};
