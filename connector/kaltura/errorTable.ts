import { ConnectorError, KalturaApiError, TransportError, type FailureType } from './errors.js';

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

/**
 * One table for every Kaltura error code of the API contract: whether it is retried, its Airbyte
 * failure type, and what the person reading it should change.
 */
const rules: Record<string, Rule> = {
  INVALID_WIDGET_ID: {
    failureType: 'config_error',
    message: (_e, c) => `Kaltura does not know partner_id ${c.partnerId ?? ''} at ${c.serviceUrl ?? 'service_url'} (INVALID_WIDGET_ID). Check partner_id (KMC > Settings > Integration Settings) and that service_url is the host of your Kaltura account's region.`,
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
    message: (e) => `The Kaltura session may not call ${serviceAction(e)} (SERVICE_FORBIDDEN). The token was probably created with sessionType USER (0), or its setrole role lacks this permission. Create the token with sessionType ADMIN (2), or give the token's role the permission for ${serviceAction(e)}.`,
  },
  SERVICE_FORBIDDEN_CONTENT_BLOCKED: {
    failureType: 'config_error',
    message: (_e, c) => `Kaltura partner ${c.partnerId ?? ''} is blocked (SERVICE_FORBIDDEN_CONTENT_BLOCKED): the account is suspended or closed. Contact your Kaltura account manager; nothing in the connector's config can fix this.`,
  },
  USER_BLOCKED: {
    failureType: 'config_error',
    message: () => `The Kaltura user that the session runs as is blocked (USER_BLOCKED). Unblock the user in KMC, or create the token with another sessionUserId (or none).`,
  },
  MISSING_KS: {
    failureType: 'system_error',
    message: (e) => `${e.service}.${e.action} reached Kaltura without a session (MISSING_KS). A proxy may have dropped the request body; this is not a config problem.`,
  },
  INVALID_KS: {
    failureType: 'system_error',
    message: (e) => invalidKsMessage(e),
  },
  QUERY_EXCEEDED_MAX_MATCHES_ALLOWED: {
    failureType: 'system_error',
    message: (e) => `${e.service}.${e.action} went past Kaltura's 10,000-row listing cap (QUERY_EXCEEDED_MAX_MATCHES_ALLOWED). This is a defect of the connector's paging; please report it.`,
  },
  MUST_FILTER_ON_ENTRY_OR_CATEGORY: {
    failureType: 'system_error',
    message: (e) => `${e.service}.${e.action} was sent without an entry or category filter (MUST_FILTER_ON_ENTRY_OR_CATEGORY). This is a defect of the connector; please report it.`,
  },
  ACTION_BLOCKED: {
    failureType: 'transient_error',
    transient: true,
    message: (e) => `Kaltura kept throttling ${e.service}.${e.action} (ACTION_BLOCKED). Lower max_concurrency or run the sync at a quieter time.`,
  },
  INTERNAL_SERVERL_ERROR: {
    failureType: 'transient_error',
    transient: true,
    message: (e) => `Kaltura kept answering ${e.service}.${e.action} with an internal server error (INTERNAL_SERVERL_ERROR). Try again later; if it persists, contact Kaltura support.`,
  },
  INTERNAL_DATABASE_ERROR: {
    failureType: 'transient_error',
    transient: true,
    message: (e) => `Kaltura kept answering ${e.service}.${e.action} with a database error (INTERNAL_DATABASE_ERROR). Try again later.`,
  },
};

const ksReasons: Record<string, string> = {
  EXPIRED: 'the session expired and logging in again did not help; check that this machine\'s clock is right',
  LOGOUT: 'the app token was deleted, which ends every session it started; create a new token',
  INVALID_PARTNER: 'the session belongs to another partner; check partner_id',
  INVALID_USER: 'the session\'s user is not valid; check the token\'s sessionUserId and session_user_id',
  EXCEEDED_ACTIONS_LIMIT: 'the token\'s actionslimit privilege allows too few calls per session; remove actionslimit from the token\'s sessionPrivileges',
  EXCEEDED_RESTRICTED_IP: 'the token\'s iprestrict privilege does not allow this machine\'s address; change the token\'s sessionPrivileges',
  EXCEEDED_RESTRICTED_URI: 'the token\'s urirestrict privilege does not allow this call; change the token\'s sessionPrivileges',
};

const configKsReasons = new Set(['LOGOUT', 'INVALID_PARTNER', 'INVALID_USER', 'EXCEEDED_ACTIONS_LIMIT', 'EXCEEDED_RESTRICTED_IP', 'EXCEEDED_RESTRICTED_URI']);

function invalidKsMessage(e: KalturaApiError): string {
  const reason = e.args.KSID ?? '';
  const why = ksReasons[reason] ?? 'Kaltura could not read the session it had just issued';
  return `Kaltura refused the session for ${e.service}.${e.action} right after a fresh login (INVALID_KS${ksReasons[reason] ? ` ${reason}` : ''}): ${why}.`;
}

export function isTransientCode(code: string): boolean {
  return rules[code]?.transient === true;
}

/** Turns any failure of a Kaltura call into the one ConnectorError a user sees. */
export function describeFailure(err: unknown, ctx: FailureContext = {}): ConnectorError {
  if (err instanceof ConnectorError) return err;
  if (err instanceof KalturaApiError) {
    const rule = rules[err.code];
    const internal = `${err.service}.${err.action} answered ${err.code}: ${err.message}`;
    if (!rule) {
      return new ConnectorError('system_error', `${err.service}.${err.action} failed with Kaltura error ${err.code}: ${err.message}`, internal);
    }
    const failureType = err.code === 'INVALID_KS' && configKsReasons.has(err.args.KSID ?? '') ? 'config_error' : rule.failureType;
    return new ConnectorError(failureType, rule.message(err, ctx), internal);
  }
  if (err instanceof TransportError) {
    const where = ctx.service ? `${ctx.service}.${ctx.action}` : 'A Kaltura request';
    const hint = err.status === 429 ? 'Kaltura is rate-limiting this account; lower max_concurrency.' : `Check that ${ctx.serviceUrl ?? 'service_url'} is reachable from here; if Kaltura is having an outage, try again later.`;
    return new ConnectorError('transient_error', `${where} kept failing (${err.message})${ctx.exhausted ? ' after every retry' : ''}. ${hint}`, err.message);
  }
  const text = err instanceof Error ? err.message : String(err);
  return new ConnectorError('system_error', `Unexpected failure: ${text}`, err instanceof Error ? err.stack : undefined);
}
