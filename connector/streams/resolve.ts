import type { KalturaClient } from '../kaltura/client.js';
import { hasCode } from '../kaltura/errors.js';
import type { FailureContext } from '../kaltura/errorTable.js';
import { ConnectorError } from '../util/errors.js';
import type { StreamDefinition } from './definition.js';
import { streams as fixedStreams } from './index.js';
import { hasProfileStream, profileIdOfComment, profileStream, profileStreamBaseName, type MetadataProfile, type ProfileStream } from './profileStreams.js';

/**
 * The streams of this server and token: the fixed streams it can serve, one stream per metadata
 * profile of entries, categories and users, and the streams it cannot serve with the reason.
 * Discover, check, every read's catalog and the every-stream reads all start here.
 */
export interface ServerStreams {
  /** In catalog order: the fixed streams this server serves, then the profile streams by profile id. */
  available: StreamDefinition[];
  /** Streams this server cannot serve, and why (a plugin it lacks). */
  unavailable: UnavailableStream[];
  profiles: ProfileStream[];
  /** Said once by whoever shows the streams: unreadable XSDs, profiles that could not be listed. */
  warnings: string[];
  /** Why the profiles could not be listed (the session may not list them): no profile stream can be served. */
  profilesUnlisted?: string;
}

export interface UnavailableStream {
  name: string;
  /** E.g. "this Kaltura server has no metadata plugin". */
  reason: string;
}

/** The streams of the server could not be listed (a login refused, Kaltura out of reach): `cause` says why. */
export class StreamsUnresolved extends Error {
  override readonly name = 'StreamsUnresolved';
  constructor(
    override readonly cause: unknown,
    /** The session's context for describing the cause (partner, service URL). */
    readonly context: FailureContext,
  ) {
    super(`the streams of this Kaltura server could not be listed: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** `resolveStreams`, its failure wrapped as StreamsUnresolved, for callers that treat it apart from bad input. */
export async function resolveStreamsOf(client: KalturaClient, wanted?: readonly string[]): Promise<ServerStreams> {
  try {
    return await resolveStreams(client, wanted);
  } catch (err) {
    throw new StreamsUnresolved(err, { ...client.session.failureContext });
  }
}

/**
 * The streams any server may have, without asking one: the fixed streams, and any name a profile
 * stream could have. Inputs are checked against it before the first request (a catalog naming a
 * stream no server has, a state that does not parse); the server's own streams decide afterwards.
 */
export function anyServerStreams(): ServerStreams {
  return { available: [...fixedStreams], unavailable: [], profiles: [], warnings: [] };
}

/** Profiles per request; a partner has a handful, so one page almost always holds them all. */
const profilePage = 500;
/** A bound on the profile listing (100,000 profiles): the loop always ends. */
const maxProfilePages = 200;

/**
 * `wanted`: the names a catalog or `--streams` selects, when the run reads only those. A plugin no
 * wanted stream comes from is not asked about (a read of media alone sends no metadata or caption
 * request), so the streams of that plugin are then simply not in the answer.
 */
export async function resolveStreams(client: KalturaClient, wanted?: readonly string[]): Promise<ServerStreams> {
  const asks = (test: (name: string) => boolean) => wanted === undefined || wanted.some(test);
  const [profiles, captions] = await Promise.all([
    asks((name) => name.startsWith('metadata')) ? listProfiles(client) : ([] as MetadataProfile[]),
    asks((name) => name === 'caption_assets') ? pluginPresent(client, 'caption_captionasset', { objectType: 'KalturaCaptionAssetFilter' }) : true,
  ]);
  const missing = new Map<string, string>();
  if (profiles === 'missing') missing.set('metadata', pluginReason('metadata', 'metadata_metadataprofile'));
  if (!captions) missing.set('caption', pluginReason('caption', 'caption_captionasset'));
  const available: StreamDefinition[] = [];
  const unavailable: UnavailableStream[] = [];
  for (const def of fixedStreams) {
    const plugin = pluginOf(def.source.service);
    const reason = plugin ? missing.get(plugin) : undefined;
    if (reason) unavailable.push({ name: def.name, reason });
    else available.push(def);
  }
  const warnings: string[] = [];
  const made: ProfileStream[] = [];
  let profilesUnlisted: string | undefined;
  if (profiles === 'forbidden') {
    profilesUnlisted = 'this session may not call metadata_metadataprofile.list (SERVICE_FORBIDDEN), so the streams of the profiles cannot be offered. Give the token\'s role the metadata profile list permission to read them';
    warnings.push(`metadata profile streams: ${profilesUnlisted}.`);
  } else if (profiles !== 'missing') {
    const taken = new Set(fixedStreams.map((s) => s.name));
    for (const profile of profiles.filter(hasProfileStream).sort((a, b) => a.id - b.id)) {
      const stream = profileStream(profile, nameFor(profile, taken));
      made.push(stream);
      available.push(stream.def);
      if (stream.warning) warnings.push(stream.warning);
    }
  }
  return profilesUnlisted ? { available, unavailable, profiles: made, warnings, profilesUnlisted } : { available, unavailable, profiles: made, warnings };
}

/**
 * A profile's stream name, unique among the streams: its base name, or with `_<profile id>` when
 * a fixed stream or a profile of a lower id has that name already. Ids only grow, so a profile
 * keeps its name when another one comes.
 */
function nameFor(profile: MetadataProfile, taken: Set<string>): string {
  const base = profileStreamBaseName(profile);
  let name = base;
  // `<base>_<id>` may itself be another profile's name (a system name `A_12`): add the id again.
  while (taken.has(name)) name = `${name}_${profile.id}`;
  taken.add(name);
  return name;
}

/** The plugin a service comes from (Kaltura names plugin services `<plugin>_<service>`); core services have none. */
function pluginOf(service: string): string | undefined {
  const cut = service.indexOf('_');
  return cut > 0 ? service.slice(0, cut) : undefined;
}

function pluginReason(plugin: string, service: string): string {
  return `this Kaltura server has no ${plugin} plugin (${service} answers SERVICE_DOES_NOT_EXISTS)`;
}

/** Every profile, or why there are none to read. */
async function listProfiles(client: KalturaClient): Promise<MetadataProfile[] | 'missing' | 'forbidden'> {
  const out: MetadataProfile[] = [];
  // A page boundary may move while profiles are added: one profile listed twice counts once.
  try {
    for (let pageIndex = 1; pageIndex <= maxProfilePages; pageIndex++) {
      const page = await client.list<MetadataProfile>('metadata_metadataprofile', {
        filter: { objectType: 'KalturaMetadataProfileFilter', orderBy: '+createdAt' },
        pager: { objectType: 'KalturaFilterPager', pageSize: profilePage, pageIndex },
      });
      out.push(...page.objects);
      if (page.objects.length < profilePage) return [...new Map(out.map((p) => [p.id, p])).values()];
    }
    throw new ConnectorError('system_error', `Kaltura listed more than ${maxProfilePages * profilePage} metadata profiles; the connector stops rather than offer only some of their streams.`);
  } catch (err) {
    if (hasCode(err, 'SERVICE_DOES_NOT_EXISTS')) return 'missing';
    if (hasCode(err, 'SERVICE_FORBIDDEN')) return 'forbidden';
    throw err;
  }
}

/**
 * Whether a plugin's service exists. Only SERVICE_DOES_NOT_EXISTS says it does not: any other
 * answer (rows, a refused filter, a permission error) comes from a server that has it, and the
 * stream's own read reports the rest.
 */
async function pluginPresent(client: KalturaClient, service: string, filter: Record<string, unknown>): Promise<boolean> {
  try {
    await client.list(service, { filter, pager: { objectType: 'KalturaFilterPager', pageSize: 1, pageIndex: 1 } });
  } catch (err) {
    if (hasCode(err, 'SERVICE_DOES_NOT_EXISTS')) return false;
  }
  return true;
}

/**
 * Says once what a read of every stream, or a discover, leaves out and why: the streams of plugins
 * this server lacks, and the profiles whose XSD could not be read.
 */
export function announceStreams(server: ServerStreams, log: { warn(message: string): void }): void {
  if (server.unavailable.length) log.warn(`Streams this Kaltura server cannot serve, left out: ${describeUnavailable(server.unavailable)}`);
  for (const warning of server.warnings) log.warn(warning);
}

/** One line for a log or a check message: "metadata: this Kaltura server has no metadata plugin (...)". */
export function describeUnavailable(unavailable: UnavailableStream[]): string {
  return unavailable.map((u) => `${u.name}: ${u.reason}`).join('; ');
}

/**
 * The stream a catalog names, for this server:
 * - a stream it offers, under that name;
 * - a profile stream whose name changed since the catalog was made (the profile's system name was
 *   edited): the catalog's schema names the profile id (`$comment`), so the stream is read under
 *   the catalog's name, and state and tables keep theirs;
 * - a stream it cannot serve (a missing plugin): a definition that fails alone, at once, with the reason;
 * - undefined for a name it does not know.
 * A profile stream keeps the columns the catalog's schema has and the XSD no longer declares
 * (a field removed from the profile): they stay in the schema, empty, so no table loses a column.
 */
export function catalogStream(server: ServerStreams, name: string, catalogSchema?: unknown): StreamDefinition | undefined {
  // A profile stream is the profile its schema names, whatever stream has that name now: a name can
  // pass to another profile (renamed, or deleted and made again), whose rows the state does not cover.
  const profileId = profileIdOf(catalogSchema);
  const byId = profileId !== undefined ? server.profiles.find((p) => p.profile.id === profileId)?.def : undefined;
  const def = profileId !== undefined ? byId && (byId.name === name ? byId : { ...byId, name }) : server.available.find((s) => s.name === name);
  if (def) return def.schema ? withCatalogColumns(def, catalogSchema) : def;
  const missing = server.unavailable.find((u) => u.name === name);
  const fixed = fixedStreams.find((s) => s.name === name);
  if (missing && fixed) {
    const { parents: _parents, ...alone } = fixed;
    return { ...alone, unavailable: `${name} cannot be read: ${missing.reason}. Deselect ${name} (discover no longer offers it on this server), or ask the Kaltura administrator to enable the plugin.` };
  }
  if (profileId === undefined && !(name.startsWith('metadata_') && !fixed)) return undefined;
  // A profile stream that cannot be served: the profiles could not be listed, or its profile is gone
  // (deleted, or no longer of entries, categories or users).
  const which = profileId !== undefined ? `metadata profile ${profileId}, whose stream it is, is not listed any more` : 'no metadata profile of this Kaltura server makes a stream of that name';
  const reason = server.profilesUnlisted ?? `${which} (the profile was deleted, or its system name changed before the catalog was made). Deselect ${name}, or run discover again for the profile streams there are now`;
  return unservedProfileStream(name, `${name} cannot be read: ${reason}.`, catalogSchema);
}

/** A profile stream a catalog names that this server cannot serve: it fails alone, and the others are read. */
function unservedProfileStream(name: string, unavailable: string, catalogSchema: unknown): StreamDefinition {
  const { parents: _parents, transform: _transform, ...metadata } = fixedStreams.find((s) => s.name === 'metadata')!;
  const def: StreamDefinition = { ...metadata, name, schemaFile: 'the catalog', schema: { type: 'object', properties: {} }, unavailable };
  return withCatalogColumns(def, catalogSchema);
}

function profileIdOf(schema: unknown): number | undefined {
  const comment = schema !== null && typeof schema === 'object' ? (schema as Record<string, unknown>).$comment : undefined;
  return typeof comment === 'string' ? profileIdOfComment(comment) : undefined;
}

function withCatalogColumns(def: StreamDefinition, catalogSchema: unknown): StreamDefinition {
  const theirs = catalogSchema !== null && typeof catalogSchema === 'object' ? (catalogSchema as { properties?: unknown }).properties : undefined;
  if (theirs === null || typeof theirs !== 'object') return def;
  const ours = (def.schema as { properties: Record<string, unknown> }).properties;
  const kept = Object.entries(theirs as Record<string, unknown>).filter(([column]) => !Object.hasOwn(ours, column));
  if (kept.length === 0) return def;
  const properties = { ...ours };
  for (const [column, schema] of kept) properties[column] = { ...(schema !== null && typeof schema === 'object' ? schema : {}), description: 'A field the profile no longer declares: kept so that no table loses a column; always empty.' };
  return { ...def, schema: { ...def.schema, properties } };
}
