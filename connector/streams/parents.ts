import type { StreamDefinition } from './definition.js';
import { everyEntry } from './media.js';

/** Entry status DELETED. */
const deleted = '3';

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
    filter: { ...everyEntry, statusIn: everyEntry.statusIn.split(',').filter((status) => status !== deleted).join(',') },
  },
  primaryKey: [['id']],
  cursorField: 'updatedAt',
  tieBreakerField: 'createdAt',
  childOfField: 'parentEntryId',
  deletions: 'Not a stream.',
};
