import type { StreamDefinition } from './definition.js';

export const categories: StreamDefinition = {
  name: 'categories',
  schemaFile: 'categories.json',
  source: { service: 'category', filterObjectType: 'KalturaCategoryFilter', filter: {} },
  primaryKey: [['id']],
  cursorField: 'updatedAt',
  tieBreakerField: 'createdAt',
  deletions: 'Kaltura never lists deleted categories: a deleted category simply stops appearing. Only a full refresh (overwrite) drops it; incremental syncs keep its last version.',
};
