import type { StreamDefinition } from './definition.js';
import { media } from './media.js';
import { categories } from './categories.js';
import { categoryEntries } from './categoryEntries.js';
import { metadata } from './metadata.js';
import { metadataProfiles } from './metadataProfiles.js';
import { users } from './users.js';
import { flavorAssets } from './flavorAssets.js';
import { captionAssets } from './captionAssets.js';

/** Every stream the connector offers, in catalog order. */
export const streams: readonly StreamDefinition[] = [media, categories, categoryEntries, metadata, metadataProfiles, users, flavorAssets, captionAssets];

export function findStream(name: string): StreamDefinition | undefined {
  return streams.find((s) => s.name === name);
}
