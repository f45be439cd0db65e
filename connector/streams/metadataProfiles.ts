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
  deletions: 'Deleted and deprecated profiles are never listed: only a full refresh drops them.',
};
