/** Small client helpers for the emulator tests (they speak HTTP like any client would). */
import { createHash } from 'node:crypto';
import type { Emulator } from '../../fixtures/emulator/index.js';

export type Json = Record<string, any>;

export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export async function post(url: string, body: string, contentType = 'application/json'): Promise<RawAnswer> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': contentType }, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** One API call with the exact JSON content type and format 1; returns the parsed answer. */
export async function api(emu: Emulator, service: string, action: string, params: Json = {}): Promise<any> {
  const r = await post(`${emu.url}/api_v3/service/${service}/action/${action}`, JSON.stringify({ format: 1, ...params }));
  return JSON.parse(r.text);
}

export function hashOf(hashType: string, ks: string, token: string): string {
  return createHash(hashType.toLowerCase()).update(ks + token).digest('hex');
}

export async function widgetKs(emu: Emulator, partnerId = emu.partnerId): Promise<string> {
  const r = await api(emu, 'session', 'startWidgetSession', { widgetId: `_${partnerId}` });
  if (typeof r.ks !== 'string') throw new Error(`no widget KS: ${JSON.stringify(r)}`);
  return r.ks;
}

/** AppToken login for a token key of the emulator; returns the KalturaSessionInfo answer. */
export async function startSession(emu: Emulator, key: string, extra: Json = {}): Promise<any> {
  const t = emu.tokens[key];
  if (!t) throw new Error(`no token ${key}`);
  const wks = await widgetKs(emu, t.partnerId);
  return api(emu, 'apptoken', 'startSession', { ks: wks, id: t.id, tokenHash: hashOf(t.hashType, wks, t.token), ...extra });
}

export async function login(emu: Emulator, key: string): Promise<string> {
  const info = await startSession(emu, key);
  if (typeof info.ks !== 'string') throw new Error(`login ${key} failed: ${JSON.stringify(info)}`);
  return info.ks;
}

export const ALL_STATUSES = '-2,-1,0,1,2,3,4,5,6,7';
export const ALL_MODERATION = '1,2,3,4,5,6';
export const ALL_DISPLAY = '-2,-1,0,1,2';

/** A filter that hides nothing by default (every status, moderation and displayInSearch). */
export function everything(objectType = 'KalturaMediaEntryFilter', extra: Json = {}): Json {
  return { objectType, statusIn: ALL_STATUSES, moderationStatusIn: ALL_MODERATION, displayInSearchIn: ALL_DISPLAY, ...extra };
}

export function pager(pageSize: number, pageIndex = 1): Json {
  return { objectType: 'KalturaFilterPager', pageSize, pageIndex };
}

/** Every row of a list call (pageSize 500), for lists under 10,000 rows. */
export async function listAll(emu: Emulator, service: string, ks: string, filter: Json): Promise<any[]> {
  const out: any[] = [];
  for (let page = 1; page <= 20; page++) {
    const r = await api(emu, service, 'list', { ks, filter, pager: pager(500, page) });
    if (r.objectType === 'KalturaAPIException') throw new Error(JSON.stringify(r));
    out.push(...r.objects);
    if (r.objects.length < 500) break;
  }
  return out;
}

/**
 * The second a bulk update stamped its rows with. Read back from the ground truth rather than
 * from the clock after the call: the wall clock may tick between the two.
 */
export function bulkUpdate(emu: Emulator, count: number): number {
  const ids = new Set(emu.control.bulkUpdateEntries(count));
  const seconds = new Set(emu.control.truth('media').filter((t) => ids.has(String(t.id))).map((t) => t.updatedAt));
  if (seconds.size !== 1) throw new Error(`a bulk update stamped ${seconds.size} seconds, not one`);
  return [...seconds][0] as number;
}
