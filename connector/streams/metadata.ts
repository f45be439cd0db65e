import type { StreamDefinition } from './definition.js';
import { entryParents } from './parents.js';
import { withParsedXml } from './metadataXml.js';

export const metadata: StreamDefinition = {
  name: 'metadata',
  schemaFile: 'metadata.json',
  // metadataObjectTypeEqual 1: custom metadata of entries, which Kaltura lists only by entry ids.
  source: { service: 'metadata_metadata', filterObjectType: 'KalturaMetadataFilter', filter: { metadataObjectTypeEqual: 1 } },
  parents: { of: entryParents, filter: 'objectIdIn' },
  primaryKey: [['id']],
  cursorField: 'updatedAt',
  tieBreakerField: 'createdAt',
  boundary: 'client',
  uncapped: true,
  transform: withParsedXml,
  deletions: 'Kaltura never lists deleted metadata objects, nor those of deleted entries: only a full refresh drops them; incremental syncs keep the last version.',
};
