import type { StreamDefinition } from './definition.js';

// Kaltura hides entries by default (only READY, not pending/rejected moderation, not recycled or
// system): a complete export asks for every value explicitly. Deleted entries (status 3) are in,
// so a warehouse sees deletions until Kaltura purges them about a week later.
export const everyEntry = {
  statusIn: '-2,-1,0,1,2,3,4,5,6,7',
  moderationStatusIn: '1,2,3,4,5,6',
  displayInSearchIn: '-2,-1,0,1,2',
};

/** Entry types media.list returns (KalturaMediaEntryFilter's own typeIn): clips, live streams, live channels. */
const mediaEntryTypes = '1,7,8';

export const media: StreamDefinition = {
  name: 'media',
  schemaFile: 'media.json',
  source: { service: 'media', filterObjectType: 'KalturaMediaEntryFilter', filter: everyEntry },
  fallbackSource: {
    service: 'baseentry',
    filterObjectType: 'KalturaBaseEntryFilter',
    filter: { ...everyEntry, typeIn: mediaEntryTypes },
    reason: 'the session may not call media->list (a read-only role); reading media entries through baseentry.list limited to media types instead',
  },
  primaryKey: [['id']],
  cursorField: 'updatedAt',
  tieBreakerField: 'createdAt',
  deletions: 'The entry comes back with status 3 and a new updatedAt, in full and incremental reads, until Kaltura purges it about a week after deletion.',
};
