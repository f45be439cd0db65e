import type { StreamDefinition } from './definition.js';

export const users: StreamDefinition = {
  name: 'users',
  schemaFile: 'users.json',
  source: { service: 'user', filterObjectType: 'KalturaUserFilter', filter: {} },
  primaryKey: [['id']],
  cursorField: 'updatedAt',
  tieBreakerField: 'createdAt',
  // user.list has no idNotIn, but it orders by id: a crowded second is paged in id order.
  boundary: 'client',
  crowdedSecondOrder: '+id',
  deletions: 'Deleted users are never listed (blocked ones are, with status 0): only a full refresh drops them.',
};
