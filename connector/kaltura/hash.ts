import { createHash } from 'node:crypto';

export const hashTypes = ['SHA1', 'SHA256', 'SHA512', 'MD5'] as const;
export type HashType = (typeof hashTypes)[number];

/** Kaltura compares the hash as a string: it must be lower-case hex of HASH(widgetKs + token). */
export function appTokenHash(hashType: HashType, widgetKs: string, token: string): string {
  return createHash(hashType.toLowerCase()).update(widgetKs + token).digest('hex');
}
