import { KalturaApiError, TransportError } from './errors.js';
import { ConnectorError, type FailureType } from '../util/errors.js';

/** What we know when an error happens: which call, and who we are, for a message that names the fix. */
export interface FailureContext {
  service?: string;
  action?: string;
  partnerId?: number;
  appTokenId?: string;
  serviceUrl?: string;
  /** The retries for a transient failure ran out. */
  exhausted?: boolean;
}

interface Rule {
  failureType: FailureType;
  /** Retried by the transport with backoff. */
  transient?: boolean;
  message: (e: KalturaApiError, ctx: FailureContext) => string;
}

const serviceAction = (e: KalturaApiError) => e.args.SERVICE ?? `${e.service}->${e.action}`;
const tokenRef = (ctx: FailureContext) => (ctx.appTokenId ? `App token "${ctx.appTokenId}"` : 'The app token');
const urlOf = (ctx: FailureContext) => ctx.serviceUrl ?? 'service_url';
const afterRetries = (ctx: FailureContext) => (ctx.exhausted ? ' after every retry' : '');

/**
 * The permission (from Kaltura's deployment/permissions ini, as fixtures/emulator/permissions.ts
 * reduces it) that a least-privilege role needs for each action the connector calls; the
 * alternatives in parentheses grant it too.
 */
const grantingPermission: Record<string, string> = {
  'media->list': 'CONTENT_MANAGE_BASE (KMC_READ_ONLY does not include media.list; without it the connector reads media through baseentry.list)',
  'baseentry->list': 'KMC_READ_ONLY (or PLAYBACK_BASE_PERMISSION)',
  'category->list': 'KMC_READ_ONLY',
  'categoryentry->list': 'KMC_READ_ONLY',
  'metadata_metadata->list': 'KMC_READ_ONLY',
  'metadata_metadataprofile->list': 'KMC_READ_ONLY',
  'user->list': 'ADMIN_BASE (or ACCOUNT_BASE)',
  'flavorasset->list': 'PLAYBACK_BASE_PERMISSION (or CONTENT_MANAGE_BASE)',
  'caption_captionasset->list': 'PLAYBACK_BASE_PERMISSION (or CONTENT_MANAGE_BASE)',
};

/** The permission that grants `service->action`, when the connector knows it. */
export function permissionFor(service: string): string | undefined {
  return grantingPermission[service.toLowerCase()];
}

function forbiddenMessage(e: KalturaApiError): string {
  const what = serviceAction(e);
  const permission = permissionFor(what);
  const grant = permission ? `the permission ${permission}` : `a permission that allows ${what}`;
  return `The Kaltura session may not call ${what} (SERVICE_FORBIDDEN): the role the session runs with lacks ${grant}. The token was probably created with sessionType USER (0), or its setrole role was made without it. Give the token's role ${grant}, or create the token with sessionType ADMIN (2); or deselect the stream that needs ${what}.`;
}

/** Kaltura's internal error, under either of its spellings: the message names the one it answered. */
const internalServerError: Rule = {
  failureType: 'transient_error',
  transient: true,
  message: (e, c) => `Kaltura kept answering ${e.service}.${e.action} with an internal server error (${e.code})${afterRetries(c)}. Try again later; if it persists, contact Kaltura support.`,
};

/**
 * One table for every Kaltura error code of the API contract: whether it is retried, its Airbyte
 * failure type, and what the person reading it should change.
 */
const rules: Record<string, Rule> = {
  INVALID_WIDGET_ID: {
    failureType: 'config_error',
    message: (_e, c) => `Kaltura does not know partner_id ${c.partnerId ?? ''} at ${urlOf(c)} (INVALID_WIDGET_ID). Check partner_id (KMC > Settings > Integration Settings) and that service_url is the host of your Kaltura account's region.`,
  },
  APP_TOKEN_ID_NOT_FOUND: {
    failureType: 'config_error',
    message: (_e, c) => `${tokenRef(c)} was not found on partner ${c.partnerId ?? ''} (APP_TOKEN_ID_NOT_FOUND): it does not exist, was deleted, or belongs to another partner. Check app_token_id (it looks like 0_o7l19k80) and partner_id, or create a new token with appToken.add.`,
  },
  APP_TOKEN_NOT_ACTIVE: {
    failureType: 'config_error',
    message: (_e, c) => `${tokenRef(c)} is disabled (APP_TOKEN_NOT_ACTIVE). Activate it (appToken.update with status 2) or create a new token.`,
  },
  APP_TOKEN_EXPIRED: {
    failureType: 'config_error',
    message: (_e, c) => `${tokenRef(c)} has expired (APP_TOKEN_EXPIRED): its expiry date has passed. Create a new token, without expiry or with a later one, and put its id and value in the config.`,
  },
  INVALID_APP_TOKEN_HASH: {
    failureType: 'config_error',
    message: (_e, c) => `${tokenRef(c)} rejected the token hash (INVALID_APP_TOKEN_HASH): app_token is not this token's value, or hash_type is not the token's hash type. app_token must be the 32-character token value, not the token id.`,
  },
  SERVICE_FORBIDDEN: {
    failureType: 'config_error',
    message: (e) => forbiddenMessage(e),
  },
  SERVICE_FORBIDDEN_CONTENT_BLOCKED: {
    failureType: 'config_error',
    message: (_e, c) => `Kaltura partner ${c.partnerId ?? ''} is blocked (SERVICE_FORBIDDEN_CONTENT_BLOCKED): the account is suspended or closed. Contact your Kaltura account manager; nothing in the connector's config can fix this.`,
  },
  USER_BLOCKED: {
    failureType: 'config_error',
    message: () => `The Kaltura user that the session runs as is blocked (USER_BLOCKED). Unblock the user in KMC, or create the token with another sessionUserId (or none).`,
  },
  SERVICE_DOES_NOT_EXISTS: {
    failureType: 'config_error',
    message: (e, c) => `Kaltura at ${urlOf(c)} has no service "${e.args.SRV_NAME ?? e.service}" (SERVICE_DOES_NOT_EXISTS): the plugin that provides it is not enabled on this Kaltura server. Deselect the stream that reads ${e.service}.${e.action}, or ask your Kaltura administrator to enable the plugin.`,
  },
  ACTION_DOES_NOT_EXISTS: {
    failureType: 'config_error',
    message: (e, c) => `Kaltura at ${urlOf(c)} has no action ${e.service}.${e.action} (ACTION_DOES_NOT_EXISTS): this Kaltura server is older than the API the connector reads. Deselect the stream that reads it, or upgrade the Kaltura server.`,
  },
  MISSING_KS: {
    failureType: 'system_error',
    message: (e, c) => `${e.service}.${e.action} reached Kaltura without a session (MISSING_KS), although the connector sent one. Something between this machine and ${urlOf(c)} (a proxy?) dropped or rewrote the request body; fix or bypass it. If nothing is in between, report it.`,
  },
  INVALID_KS: {
    failureType: 'system_error',
    message: (e, c) => invalidKsMessage(e, c),
  },
  QUERY_EXCEEDED_MAX_MATCHES_ALLOWED: {
    failureType: 'system_error',
    message: (e) => `${e.service}.${e.action} went past Kaltura's 10,000-row listing cap (QUERY_EXCEEDED_MAX_MATCHES_ALLOWED). This is a defect of the connector's paging; please report it. The saved state is unchanged, so nothing is skipped.`,
  },
  MUST_FILTER_ON_ENTRY_OR_CATEGORY: {
    failureType: 'system_error',
    message: (e) => `${e.service}.${e.action} was sent without an entry or category filter (MUST_FILTER_ON_ENTRY_OR_CATEGORY). This is a defect of the connector; please report it.`,
  },
  ACTION_BLOCKED: {
    failureType: 'transient_error',
    transient: true,
    message: (e, c) => `Kaltura kept throttling ${e.service}.${e.action} (ACTION_BLOCKED)${afterRetries(c)}. Lower max_concurrency or run the sync at a quieter time.`,
  },
  INTERNAL_SERVERL_ERROR: internalServerError,
  // The alpha layer's spelling of the same failure (APIErrors: "INTERNAL_SERVER_ERROR;ERR_TEXT;...").
  INTERNAL_SERVER_ERROR: internalServerError,
  INTERNAL_DATABASE_ERROR: {
    failureType: 'transient_error',
    transient: true,
    message: (e, c) => `Kaltura kept answering ${e.service}.${e.action} with a database error (INTERNAL_DATABASE_ERROR)${afterRetries(c)}. Try again later; if it persists, contact Kaltura support.`,
  },
};
/** Why Kaltura refused a session, for each reason word an INVALID_KS carries in KSID. */
const ksReasons: Record<string, (ctx: FailureContext) => string> = {
  EXPIRED: () => 'each new session expired before the request got through, so the token\'s sessionDuration is shorter than one request with its retries can take; raise the token\'s sessionDuration (300 s or more)',
  LOGOUT: (c) => `${c.appTokenId ? `app token "${c.appTokenId}"` : 'the app token'} was deleted, which ends every session it started; create a new token`,
  INVALID_PARTNER: () => 'the session belongs to another partner; check partner_id',
  INVALID_USER: () => 'the session\'s user is not valid; check the token\'s sessionUserId and session_user_id',
  EXCEEDED_ACTIONS_LIMIT: () => 'the token\'s actionslimit privilege allows too few calls per session; remove actionslimit from the token\'s sessionPrivileges',
  EXCEEDED_RESTRICTED_IP: () => 'the token\'s iprestrict privilege does not allow this machine\'s address; change the token\'s sessionPrivileges',
  EXCEEDED_RESTRICTED_URI: () => 'the token\'s urirestrict privilege does not allow this call; change the token\'s sessionPrivileges',
};

/**
 * The reason word of an INVALID_KS (EXPIRED, LOGOUT, ...), or undefined when Kaltura could not read
 * the session at all: KSID is then the session string itself, which is never quoted or logged.
 */
export function ksReason(err: KalturaApiError): string | undefined {
  const reason = err.args.KSID;
  return reason !== undefined && Object.hasOwn(ksReasons, reason) ? reason : undefined;
}

/** What stands for the reason of an INVALID_KS whose KSID is the unreadable session itself. */
export const unreadableSession = 'INVALID_KS, unreadable session';

const configKsReasons = new Set(['LOGOUT', 'INVALID_PARTNER', 'INVALID_USER', 'EXCEEDED_ACTIONS_LIMIT', 'EXCEEDED_RESTRICTED_IP', 'EXCEEDED_RESTRICTED_URI']);

function invalidKsMessage(e: KalturaApiError, ctx: FailureContext): string {
  const reason = ksReason(e);
  if (reason !== undefined) {
    return `Kaltura refused the session for ${e.service}.${e.action} right after a fresh login (INVALID_KS ${reason}): ${ksReasons[reason]!(ctx)}.`;
  }
  // KSID is then the session string itself, as Kaltura received it: never quoted.
  return `Kaltura could not read the session it had just issued, on ${e.service}.${e.action} (${unreadableSession}). Something between this machine and ${urlOf(ctx)} (a proxy?) may alter requests, or service_url is not the server that issued the session. Check service_url and any proxy; if it persists, report it.`;
}

export function isTransientCode(code: string): boolean {
  return rules[code]?.transient === true;
}

/** The log form of a Kaltura error: code and message, except the session that INVALID_KS quotes. */
function internalOf(err: KalturaApiError): string {
  if (err.code === 'INVALID_KS' && err.args.KSID !== undefined && ksReason(err) === undefined) return `${err.service}.${err.action} answered ${unreadableSession}`;
  return `${err.service}.${err.action} answered ${err.code}: ${err.message}`;
}

function transportMessage(err: TransportError, ctx: FailureContext): string {
  const where = ctx.service ? `${ctx.service}.${ctx.action}` : 'A Kaltura request';
  const url = urlOf(ctx);
  let hint: string;
  if (err.kind === 'status' && err.status === 429) {
    hint = `Kaltura (or a proxy in front of it) is rate-limiting this account: lower max_concurrency, or run the sync at a quieter time.`;
  } else if (err.kind === 'status') {
    hint = `Kaltura or a load balancer in front of ${url} is failing; try again later, and if it persists, contact Kaltura support.`;
  } else if (err.kind === 'timeout') {
    hint = `${url} was too slow or did not answer: raise request_timeout_seconds (or lower page_size) if Kaltura is merely slow; check that ${url} is reachable from here; if Kaltura is having an outage, try again later.`;
  } else if (err.kind === 'cut') {
    hint = `The connection to ${url} broke in the middle of an answer (the network or a proxy cut it); try again later, and check any proxy in between if it persists.`;
  } else {
    hint = `Check that ${url} is reachable from here (host name, DNS, firewall, proxy); if Kaltura is having an outage, try again later.`;
  }
  return `${where} kept failing (${err.message})${afterRetries(ctx)}. ${hint}`;
}

/** Turns any failure of a Kaltura call into the one ConnectorError a user sees. */
export function describeFailure(err: unknown, ctx: FailureContext = {}): ConnectorError {
  if (err instanceof ConnectorError) return err;
  if (err instanceof KalturaApiError) {
    const rule = rules[err.code];
    const internal = internalOf(err);
    if (!rule) {
      return new ConnectorError(
        'system_error',
        `${err.service}.${err.action} failed with Kaltura error ${err.code}: ${err.message}. The connector does not know this error: if only one stream fails with it, deselect that stream to sync the others, and report the code and message to the connector's maintainers.`,
        internal,
      );
    }
    const failureType = err.code === 'INVALID_KS' && configKsReasons.has(err.args.KSID ?? '') ? 'config_error' : rule.failureType;
    return new ConnectorError(failureType, rule.message(err, ctx), internal);
  }
  if (err instanceof TransportError) {
    return new ConnectorError('transient_error', transportMessage(err, ctx), err.message);
  }
  const text = err instanceof Error ? err.message : String(err);
  return new ConnectorError('system_error', `Unexpected failure: ${text}. This is a defect of the connector; please report it with the log of the run.`, err instanceof Error ? err.stack : undefined);
}
