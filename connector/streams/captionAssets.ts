import type { StreamDefinition } from './definition.js';
import { entryParents } from './parents.js';

export const captionAssets: StreamDefinition = {
  name: 'caption_assets',
  schemaFile: 'caption_assets.json',
  // caption_captionAsset.list refuses a filter without entryIdEqual/entryIdIn.
  source: { service: 'caption_captionasset', filterObjectType: 'KalturaCaptionAssetFilter', filter: {} },
  // Kaltura lists a child entry's captions as its parent's (with the parent's entryId).
  parents: { of: entryParents, filter: 'entryIdIn', skipChildren: true },
  primaryKey: [['id']],
  cursorField: 'updatedAt',
  tieBreakerField: 'createdAt',
  boundary: 'client',
  uncapped: true,
  deletions: 'Deleted captions and the captions of deleted entries are never listed: only a full refresh drops them.',
};
