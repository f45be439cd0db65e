import { KalturaApiError, TransportError, type AnswerSketch, type KalturaCode } from './errors.js';
import { ConnectorError, type FailureType } from '../util/errors.js';

/** What we know when an error happens: which call, and who we are, for a message that names the fix. */
export interface FailureContext {
  service?: string;
  action?: string;
  partnerId?: number;
  appTokenId?: string;
  serviceUrl?: string;
  /** The retries for a transient failure ran out (their count or their time). */
  exhausted?: boolean;
  /** Attempts made and time spent on the call, when it gave up. */
  attempts?: number;
  elapsedMs?: number;
  /** No request of this run has had any answer from the host: it cannot be reached. */
  unreachable?: boolean;
  /**
   * Set when the call gave up because its time ran out: max_retry_seconds, or for a host that has
   * not answered once, the wait for a first answer (at most 90 s).
   */
  timeLimitMs?: number;
  /** Whether the host has given one Kaltura API answer in this run (undefined: not known). */
  kalturaSeen?: boolean;
}

/**
 * What the connector does about a failure, decided here once for the transport (retry, throttle),
 * the client (re-login) and the engine's source selector (fall back):
 * - `retry`: send the same request again after a backoff, within the retry budget;
 * - `throttle`: the same, and halve the concurrency (Kaltura or a proxy is rate-limiting);
 * - `relogin`: the session was refused: log in again and resend the same request;
 * - `fallback`: the role may not call this service: read the stream through its fallback service;
 * - `fail`: report it (its failure type and message below); trying again cannot help.
 * An action that cannot be taken (no fallback service, retries or re-logins used up) ends in `fail`.
 */
export type Action = 'retry' | 'throttle' | 'relogin' | 'fallback' | 'fail';

interface Rule {
  action: Action;
  failureType: FailureType;
  message: (e: KalturaApiError, ctx: FailureContext) => string;
}

const serviceAction = (e: KalturaApiError) => e.args.SERVICE ?? `${e.service}->${e.action}`;
const tokenRef = (ctx: FailureContext) => (ctx.appTokenId ? `App token "${ctx.appTokenId}"` : 'The app token');
const urlOf = (ctx: FailureContext) => ctx.serviceUrl ?? 'service_url';
const seconds = (ms: number) => (ms < 10_000 ? Math.round(ms / 100) / 10 : Math.round(ms / 1000));
const spent = (ctx: FailureContext) => {
  if (ctx.attempts === undefined || ctx.elapsedMs === undefined) return '';
  const limit = ctx.timeLimitMs !== undefined && !ctx.unreachable ? `, the max_retry_seconds limit of ${seconds(ctx.timeLimitMs)} s` : '';
  return ` (${ctx.attempts} attempt${ctx.attempts === 1 ? '' : 's'} in ${seconds(ctx.elapsedMs)} s${limit})`;
};
const afterRetries = (ctx: FailureContext) => (ctx.exhausted ? ` after every retry${spent(ctx)}` : '');

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
  action: 'retry',
  failureType: 'transient_error',
  message: (e, c) => `Kaltura kept answering ${e.service}.${e.action} with an internal server error (${e.code})${afterRetries(c)}. Try again later; if it persists, contact Kaltura support.`,
};

/**
 * One table for every Kaltura error code of the API contract: what the connector does about it,
 * its Airbyte failure type, and what the person reading it should change.
 */
const rules: { readonly [C in KalturaCode]: Rule } = {
  INVALID_WIDGET_ID: {
    action: 'fail',
    failureType: 'config_error',
    message: (_e, c) => `Kaltura does not know partner_id ${c.partnerId ?? ''} at ${urlOf(c)} (INVALID_WIDGET_ID). Check partner_id (KMC > Settings > Integration Settings) and that service_url is the host of your Kaltura account's region.`,
  },
  APP_TOKEN_ID_NOT_FOUND: {
    action: 'fail',
    failureType: 'config_error',
    message: (_e, c) => `${tokenRef(c)} was not found on partner ${c.partnerId ?? ''} (APP_TOKEN_ID_NOT_FOUND): it does not exist, was deleted, or belongs to another partner. Check app_token_id (it looks like 0_o7l19k80) and partner_id, or create a new token with appToken.add.`,
  },
  APP_TOKEN_NOT_ACTIVE: {
    action: 'fail',
    failureType: 'config_error',
    message: (_e, c) => `${tokenRef(c)} is disabled (APP_TOKEN_NOT_ACTIVE). Activate it (appToken.update with status 2) or create a new token.`,
  },
  APP_TOKEN_EXPIRED: {
    action: 'fail',
    failureType: 'config_error',
    message: (_e, c) => `${tokenRef(c)} has expired (APP_TOKEN_EXPIRED): its expiry date has passed. Create a new token, without expiry or with a later one, and put its id and value in the config.`,
  },
  INVALID_APP_TOKEN_HASH: {
    action: 'fail',
    failureType: 'config_error',
    message: (_e, c) => `${tokenRef(c)} rejected the token hash (INVALID_APP_TOKEN_HASH): app_token is not this token's value, or hash_type is not the token's hash type. app_token must be the 32-character token value, not the token id.`,
  },
  SERVICE_FORBIDDEN: {
    action: 'fallback',
    failureType: 'config_error',
    message: (e) => forbiddenMessage(e),
  },
  SERVICE_FORBIDDEN_CONTENT_BLOCKED: {
    action: 'fail',
    failureType: 'config_error',
    message: (_e, c) => `Kaltura partner ${c.partnerId ?? ''} is blocked (SERVICE_FORBIDDEN_CONTENT_BLOCKED): the account is suspended or closed. Contact your Kaltura account manager; nothing in the connector's config can fix this.`,
  },
  USER_BLOCKED: {
    action: 'fail',
    failureType: 'config_error',
    message: () => `The Kaltura user that the session runs as is blocked (USER_BLOCKED). Unblock the user in KMC, or create the token with another sessionUserId (or none).`,
  },
  SERVICE_DOES_NOT_EXISTS: {
    action: 'fail',
    failureType: 'config_error',
    message: (e, c) => `Kaltura at ${urlOf(c)} has no service "${e.args.SRV_NAME ?? e.service}" (SERVICE_DOES_NOT_EXISTS): the plugin that provides it is not enabled on this Kaltura server. Deselect the stream that reads ${e.service}.${e.action}, or ask your Kaltura administrator to enable the plugin.`,
  },
  ACTION_DOES_NOT_EXISTS: {
    action: 'fail',
    failureType: 'config_error',
    message: (e, c) => `Kaltura at ${urlOf(c)} has no action ${e.service}.${e.action} (ACTION_DOES_NOT_EXISTS): this Kaltura server is older than the API the connector reads. Deselect the stream that reads it, or upgrade the Kaltura server.`,
  },
  MISSING_KS: {
    action: 'fail',
    failureType: 'system_error',
    message: (e, c) => `${e.service}.${e.action} reached Kaltura without a session (MISSING_KS), although the connector sent one. Something between this machine and ${urlOf(c)} (a proxy?) dropped or rewrote the request body; fix or bypass it. If nothing is in between, report it.`,
  },
  INVALID_KS: {
    action: 'relogin',
    failureType: 'system_error',
    message: (e, c) => invalidKsMessage(e, c),
  },
  QUERY_EXCEEDED_MAX_MATCHES_ALLOWED: {
    action: 'fail',
    failureType: 'system_error',
    message: (e) => `${e.service}.${e.action} went past Kaltura's 10,000-row listing cap (QUERY_EXCEEDED_MAX_MATCHES_ALLOWED). This is a defect of the connector's paging; please report it. The saved state is unchanged, so nothing is skipped.`,
  },
  MUST_FILTER_ON_ENTRY_OR_CATEGORY: {
    action: 'fail',
    failureType: 'system_error',
    message: (e) => `${e.service}.${e.action} was sent without an entry or category filter (MUST_FILTER_ON_ENTRY_OR_CATEGORY). This is a defect of the connector; please report it.`,
  },
  ACTION_BLOCKED: {
    action: 'throttle',
    failureType: 'transient_error',
    message: (e, c) => `Kaltura kept throttling ${e.service}.${e.action} (ACTION_BLOCKED)${afterRetries(c)}. Lower max_concurrency or run the sync at a quieter time.`,
  },
  INTERNAL_SERVERL_ERROR: internalServerError,
  INTERNAL_SERVER_ERROR: internalServerError,
  INTERNAL_DATABASE_ERROR: {
    action: 'retry',
    failureType: 'transient_error',
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

function ruleOf(err: KalturaApiError): Rule | undefined {
  const code = err.knownCode;
  return code === undefined ? undefined : rules[code];
}

/** What is done about a failure of the transport: its action and its failure type. */
interface TransportRule {
  action: Action;
  failureType: FailureType;
}

/**
 * Kaltura answers every call with HTTP 200, errors included; other statuses come from what stands
 * in front of it. 408, 429 and 5xx are what overloaded servers and proxies answer: worth another
 * try. 501 (Not Implemented) and 505 are a server refusing the request itself, never an overload:
 * like 3xx and 4xx, the sign of a service_url that is not a Kaltura API.
 */
export function statusAction(status: number): Action {
  if (status === 429) return 'throttle';
  if (status === 408 || (status >= 500 && status <= 599 && status !== 501 && status !== 505)) return 'retry';
  return 'fail';
}

function transportRule(err: TransportError, ctx: FailureContext = {}): TransportRule {
  switch (err.kind) {
    case 'status': {
      const action = statusAction(err.status ?? 0);
      return { action, failureType: action === 'fail' ? 'config_error' : 'transient_error' };
    }
    case 'timeout':
    case 'cut':
      return { action: 'retry', failureType: 'transient_error' };
    case 'network':
      // A host name that does not resolve, or a port nobody listens on, from the first request on: the config names the wrong host.
      return { action: 'retry', failureType: ctx.unreachable && /ENOTFOUND|ECONNREFUSED/.test(err.message) ? 'config_error' : 'transient_error' };
    case 'foreign':
      return { action: 'fail', failureType: 'config_error' };
    case 'xml':
      return { action: 'fail', failureType: 'system_error' };
  }
}

/** The action for any failure of a Kaltura call (see `Action`); anything the table does not know fails. */
export function actionOf(err: unknown): Action {
  if (err instanceof KalturaApiError) return ruleOf(err)?.action ?? 'fail';
  if (err instanceof TransportError) return transportRule(err).action;
  return 'fail';
}

/** Whether the transport sends the request again (with a backoff) after this failure. */
export function isRetried(err: unknown): boolean {
  const action = actionOf(err);
  return action === 'retry' || action === 'throttle';
}

/** Whether a Kaltura code is retried as transient. */
export function isTransientCode(code: string): boolean {
  return isRetried(new KalturaApiError(code, '', {}, '', ''));
}

/**
 * The `service->action` that Kaltura refused to the session's role, when the table's action is to
 * fall back: a stream whose source is that service may read through its fallback source instead.
 */
export function refusedService(err: unknown): string | undefined {
  if (!(err instanceof KalturaApiError) || actionOf(err) !== 'fallback') return undefined;
  return serviceAction(err).toLowerCase();
}

/** The log form of a Kaltura error: code and message, except the session that INVALID_KS quotes. */
function internalOf(err: KalturaApiError): string {
  if (err.code === 'INVALID_KS' && err.args.KSID !== undefined && ksReason(err) === undefined) return `${err.service}.${err.action} answered ${unreadableSession}`;
  return `${err.service}.${err.action} answered ${err.code}: ${err.message}`;
}

/** What a server answered, as a message names it: `HTTP 501 (text/html: "Not Implemented")`. */
export function describeAnswer(answer: AnswerSketch | undefined): string {
  if (!answer) return 'something that is not HTTP';
  const type = answer.contentType ?? 'no content type';
  const excerpt = answer.excerpt ? `: ${JSON.stringify(answer.excerpt)}` : ', empty';
  return `HTTP ${answer.status} (${type}${excerpt})`;
}

const notKalturaFix = 'Check that service_url is your Kaltura API host, such as https://www.kaltura.com, with no path';

function redirectHint(err: TransportError, url: string): string {
  if (!err.location || err.status === undefined || err.status < 300 || err.status >= 400) return '';
  try {
    return `; it redirects to ${new URL(err.location, url).origin}, which may be the host to put in service_url`;
  } catch {
    return '';
  }
}

/** An answer that is not the Kaltura API's: what it answered, and that service_url is the thing to check. */
function foreignMessage(err: TransportError, ctx: FailureContext): string {
  const where = ctx.service ? `${ctx.service}.${ctx.action}: ` : '';
  const url = urlOf(ctx);
  if (err.kind === 'status') {
    return `${where}service_url does not point at a Kaltura API: ${url} answered ${describeAnswer(err.answer)}, which the Kaltura API never does (it answers every call with HTTP 200, errors included)${redirectHint(err, url)}. ${notKalturaFix}, and that no proxy in between refuses the request.`;
  }
  return `${where}service_url does not point at a Kaltura API: the answer from ${url} is not a Kaltura API answer but ${err.message}, ${describeAnswer(err.answer)}. ${notKalturaFix}, not a web page, a portal or a proxy's login page.`;
}

/** No request of this run had an answer from the host, and the connector gave up on it. */
function unreachableMessage(err: TransportError, ctx: FailureContext): string {
  const url = urlOf(ctx);
  const where = ctx.service ? `${ctx.service}.${ctx.action}` : 'the first request';
  const limit = ctx.timeLimitMs !== undefined ? ` The connector gives up on a host that has not answered once within ${seconds(ctx.timeLimitMs)} s (max_retry_seconds, at most 90).` : '';
  const hint =
    err.kind === 'timeout'
      ? `Check that service_url names the right host and port and that ${url} is reachable from here (DNS, firewall, proxy); if it is merely slow, raise request_timeout_seconds.`
      : `Check that service_url names the right host and port and that ${url} is reachable from here (host name, DNS, firewall, proxy); if Kaltura is having an outage, try again later.`;
  return `${url} cannot be reached: ${where} got no answer${spent(ctx)}, the last attempt: ${err.message}; no request of this run has had an answer from it. ${hint}${limit}`;
}

function transportMessage(err: TransportError, ctx: FailureContext): string {
  if (err.kind === 'foreign' || (err.kind === 'status' && statusAction(err.status ?? 0) === 'fail')) return foreignMessage(err, ctx);
  if (err.kind === 'xml') {
    return `${ctx.service}.${ctx.action}: Kaltura answered XML instead of JSON, which means it ignored the JSON request body. Something between this connector and ${urlOf(ctx)} (a proxy?) changed the request's Content-Type; it must reach Kaltura as exactly "application/json".`;
  }
  if (ctx.unreachable && (err.kind === 'timeout' || err.kind === 'network')) return unreachableMessage(err, ctx);
  const where = ctx.service ? `${ctx.service}.${ctx.action}` : 'A Kaltura request';
  const url = urlOf(ctx);
  let hint: string;
  if (err.kind === 'status' && err.status === 429) {
    hint = `Kaltura (or a proxy in front of it) is rate-limiting this account: lower max_concurrency, or run the sync at a quieter time.`;
  } else if (err.kind === 'status' && ctx.kalturaSeen === false) {
    // Nothing in this run came from Kaltura: the same status may be a Kaltura outage or another web server.
    hint = `${url} has not given one Kaltura API answer in this run; it answered ${describeAnswer(err.answer)}. If service_url is right, Kaltura or a load balancer in front of it is down: try again later. If not, service_url does not point at a Kaltura API: ${notKalturaFix.charAt(0).toLowerCase()}${notKalturaFix.slice(1)}.`;
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

/**
 * An app token value that cannot be Kaltura's: its values are 32 lower-case hex characters, so hex
 * with upper-case letters was changed on the way (an ETL tool's hash step, a spreadsheet).
 */
export function looksUpperCased(token: string): boolean {
  return /^[0-9A-Fa-f]{32}$/.test(token) && /[A-F]/.test(token);
}

/** Never quotes the token: only what is wrong with its form. */
export function upperCasedTokenMessage(appTokenId: string): string {
  return `app_token looks upper-cased (32 hexadecimal characters with upper-case letters A-F); Kaltura token values are 32 lower-case hex characters: paste it as Kaltura shows it (the "token" field of app token "${appTokenId}"), not changed by a tool on the way (INVALID_APP_TOKEN_HASH with every hash type).`;
}

/** Turns any failure of a Kaltura call into the one ConnectorError a user sees. */
export function describeFailure(err: unknown, ctx: FailureContext = {}): ConnectorError {
  if (err instanceof ConnectorError) return err;
  if (err instanceof KalturaApiError) {
    const rule = ruleOf(err);
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
    const internal = err.answer ? `${err.message}; ${describeAnswer(err.answer)}` : err.message;
    return new ConnectorError(transportRule(err, ctx).failureType, transportMessage(err, ctx), internal);
  }
  const text = err instanceof Error ? err.message : String(err);
  return new ConnectorError('system_error', `Unexpected failure: ${text}. This is a defect of the connector; please report it with the log of the run.`, err instanceof Error ? err.stack : undefined);
}
