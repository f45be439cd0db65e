import type { StreamDefinition } from './definition.js';

export const metadataProfiles: StreamDefinition = {
  name: 'metadata_profiles',
  schemaFile: 'metadata_profiles.json',
  source: { service: 'metadata_metadataprofile', filterObjectType: 'KalturaMetadataProfileFilter', filter: {} },
  primaryKey: [['id']],
  cursorField: 'updatedAt',
  tieBreakerField: 'createdAt',
  boundary: 'client',
  uncapped: true,
  deletions: 'Kaltura never lists deleted or deprecated profiles: only a full refresh (overwrite) drops them.',
};
