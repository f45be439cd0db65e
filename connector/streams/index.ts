import type { StreamDefinition } from './definition.js';
import { media } from './media.js';
import { categories } from './categories.js';

/** Every stream the connector offers, in catalog order. */
export const streams: readonly StreamDefinition[] = [media, categories];

export function findStream(name: string): StreamDefinition | undefined {
  return streams.find((s) => s.name === name);
}
