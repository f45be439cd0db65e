import type { StreamDefinition } from './definition.js';

export const users: StreamDefinition = {
  name: 'users',
  schemaFile: 'users.json',
  source: { service: 'user', filterObjectType: 'KalturaUserFilter', filter: {} },
  primaryKey: [['id']],
  cursorField: 'updatedAt',
  tieBreakerField: 'createdAt',
  // user.list has no idNotIn: the rows of the last second read come back and are dropped by key.
  // It has the search cap, so a crowded second is cut by createdAt like the entries'.
  boundary: 'client',
  deletions: 'Deleted users are never listed (blocked ones are, with status 0): only a full refresh drops them.',
};
