import type { StreamDefinition } from './definition.js';

/**
 * Entries as parents of metadata and assets: every entry the API can name (any type, moderation
 * or search visibility) except deleted ones, whose metadata and assets Kaltura no longer lists.
 * Read through baseentry.list, which the least-privilege role may call. Not offered as a stream.
 */
export const entryParents: StreamDefinition = {
  name: 'entries',
  schemaFile: 'media.json',
  source: {
    service: 'baseentry',
    filterObjectType: 'KalturaBaseEntryFilter',
    filter: { statusIn: '-2,-1,0,1,2,4,5,6,7', moderationStatusIn: '1,2,3,4,5,6', displayInSearchIn: '-2,-1,0,1,2' },
  },
  primaryKey: [['id']],
  cursorField: 'updatedAt',
  tieBreakerField: 'createdAt',
  childOfField: 'parentEntryId',
  deletions: 'Not a stream.',
};
