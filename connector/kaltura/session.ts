import type { KalturaTransport } from './transport.js';
import { hasCode } from './errors.js';
import { ConnectorError, RunRefusedError } from '../util/errors.js';
import { describeFailure, looksUpperCased, upperCasedTokenMessage, type FailureContext } from './errorTable.js';
import { appTokenHash, hashTypes, type HashType } from './hash.js';
import { secrets } from '../util/redact.js';
import type { Logger } from '../util/logger.js';

export interface AppTokenCredentials {
  partnerId: number;
  appTokenId: string;
  appToken: string;
  hashType?: HashType;
  sessionUserId?: string;
  serviceUrl: string;
}

/** KalturaSessionInfo as apptoken.startSession answers it. */
export interface SessionInfo {
  ks: string;
  sessionType: number;
  partnerId: number;
  userId: string;
  expiry: number;
  privileges: string;
  /**
   * Added by the connector, not Kaltura: Kaltura's clock when it issued the session (the answer's
   * HTTP Date header, unix seconds), so that the lifetime is measured on the server's clock.
   */
  serverTime?: number;
}

/** Privileges as Kaltura writes them: `name:value` pairs joined by commas. */
export function parsePrivileges(privileges: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of privileges.split(',')) {
    const [name, ...value] = part.trim().split(':');
    if (name) out.set(name, value.join(':'));
  }
  return out;
}

/**
 * Why the connector will not read with this session, or undefined when it sees the whole account.
 * Kaltura answers such a session without any error, only with fewer rows: a read would report
 * success with a fraction of the records. Every mode logs in through `AppTokenSession`, so the
 * refusal reaches `check` and each kind of read before any list request.
 */
export function narrowSessionReason(info: SessionInfo): string | undefined {
  const privileges = parsePrivileges(info.privileges ?? '');
  if (info.sessionType === 2 || privileges.get('list') === '*') return undefined;
  // Kaltura shows a USER session without list:* only its own user's entries (kaltura-api.md section 4).
  const user = info.userId ? `user ${info.userId}'s entries` : 'the entries of its user, and this token names none';
  return `The token was created with sessionType USER (0) and without list:*; this session sees only ${user}. Create the token with sessionType ADMIN (2), or add list:* to its sessionPrivileges. Nothing was read: Kaltura gives no error for the entries such a session cannot see, so a read would look complete while missing every other user's entries.`;
}

/**
 * How long a session lives, in seconds, on Kaltura's own clock: its expiry less the server time of
 * the answer that issued it. Only when the answer had no Date header does this machine's clock
 * (`localNow`, unix seconds) stand in for it, and then a skewed clock shows.
 */
export function sessionLifetime(info: SessionInfo, localNow: number): number {
  // The Date header is truncated to the second: the server was on average half a second later.
  return Math.max(0, info.serverTime !== undefined ? info.expiry - info.serverTime - 0.5 : info.expiry - localNow);
}

interface ActiveSession {
  info: SessionInfo;
  /** The time on `clock` after which we log in again before using the KS. */
  refreshAt: number;
}

/**
 * The AppToken login of the API contract (widget session, token hash, apptoken.startSession) and
 * the session it yields. Concurrent callers share one login; the KS is replaced shortly before
 * its expiry and whenever a call reports it invalid.
 */
export class AppTokenSession {
  private active: ActiveSession | undefined;
  private pending: Promise<ActiveSession> | undefined;
  private detectedHashType: HashType | undefined;
  private logins = 0;
  /** Set once Kaltura issued a session this connector will not read with: the token will not change during the run. */
  private refused: RunRefusedError | undefined;

  constructor(
    private readonly transport: KalturaTransport,
    private readonly credentials: AppTokenCredentials,
    private readonly log: Logger,
    /** A monotonic clock in seconds: only differences are used, so this machine's date does not matter. */
    private readonly clock: () => number = () => performance.now() / 1000,
  ) {
    secrets.add(credentials.appToken);
  }

  get info(): SessionInfo | undefined {
    return this.active?.info;
  }

  get loginCount(): number {
    return this.logins;
  }

  get failureContext(): FailureContext {
    const { partnerId, appTokenId, serviceUrl } = this.credentials;
    return { partnerId, appTokenId, serviceUrl };
  }

  async ks(): Promise<string> {
    if (this.refused) throw this.refused;
    if (this.active && this.clock() < this.active.refreshAt) return this.active.info.ks;
    this.pending ??= this.login().finally(() => {
      this.pending = undefined;
    });
    this.active = await this.pending;
    return this.active.info.ks;
  }

  /** The current session if it is not due for renewal; never logs in. */
  fresh(): string | undefined {
    return this.active && this.clock() < this.active.refreshAt ? this.active.info.ks : undefined;
  }

  /** Called when Kaltura refused `ks`: the next caller logs in again (once, however many noticed). */
  invalidate(ks: string): void {
    if (this.active?.info.ks === ks) this.active = undefined;
  }

  private async login(): Promise<ActiveSession> {
    const widgetKs = await this.widgetSession();
    const info = await this.startSession(widgetKs);
    const receivedAt = this.clock();
    secrets.add(info.ks);
    this.logins += 1;
    const narrow = narrowSessionReason(info);
    if (narrow) {
      this.refused = new RunRefusedError('config_error', narrow, `apptoken.startSession issued sessionType ${info.sessionType} with privileges "${info.privileges}" for app token ${this.credentials.appTokenId}`);
      throw this.refused;
    }
    // The lifetime is counted on Kaltura's clock (expiry less the server time of the answer), and
    // from the moment the answer arrived on ours: a skewed local clock changes neither. Refresh with
    // a margin of a fifth of the lifetime (at most a minute), so that a 5-second session is renewed
    // about a second early and a day-long one a minute early.
    const lifetime = sessionLifetime(info, Date.now() / 1000);
    const refreshAt = receivedAt + lifetime - Math.min(60, lifetime / 5);
    this.log.info(`Logged in to Kaltura partner ${info.partnerId} with app token ${this.credentials.appTokenId} (session type ${info.sessionType === 2 ? 'ADMIN' : 'USER'}, valid ${Math.round(lifetime)} s)`);
    return { info, refreshAt };
  }

  private async widgetSession(): Promise<string> {
    try {
      const answer = await this.transport.call<{ ks: string }>('session', 'startWidgetSession', { widgetId: `_${this.credentials.partnerId}` });
      secrets.add(answer.ks);
      return answer.ks;
    } catch (err) {
      throw describeFailure(err, { ...this.failureContext, service: 'session', action: 'startWidgetSession' });
    }
  }

  private async startSession(widgetKs: string): Promise<SessionInfo> {
    const configured = this.detectedHashType ?? this.credentials.hashType ?? 'SHA1';
    try {
      return await this.tryHash(widgetKs, configured);
    } catch (err) {
      if (!hasCode(err, 'INVALID_APP_TOKEN_HASH')) {
        throw describeFailure(err, { ...this.failureContext, service: 'apptoken', action: 'startSession' });
      }
    }
    return this.detectHashType(widgetKs, configured);
  }

  /** The token hash did not match: find out whether another hash type does, so the message can say which. */
  private async detectHashType(widgetKs: string, tried: HashType): Promise<SessionInfo> {
    for (const candidate of hashTypes.filter((h) => h !== tried)) {
      let info: SessionInfo;
      try {
        info = await this.tryHash(widgetKs, candidate);
      } catch (err) {
        if (hasCode(err, 'INVALID_APP_TOKEN_HASH')) continue;
        throw describeFailure(err, { ...this.failureContext, service: 'apptoken', action: 'startSession' });
      }
      if (this.credentials.hashType) {
        throw new ConnectorError(
          'config_error',
          `App token "${this.credentials.appTokenId}" uses ${candidate}, but hash_type is set to ${this.credentials.hashType} (INVALID_APP_TOKEN_HASH). Set hash_type to ${candidate}.`,
          'apptoken.startSession answered INVALID_APP_TOKEN_HASH for the configured hash type',
        );
      }
      this.detectedHashType = candidate;
      this.log.warn(`App token "${this.credentials.appTokenId}" uses ${candidate}, not Kaltura's default SHA1. Set hash_type to ${candidate} in the config to skip this detection.`);
      return info;
    }
    throw new ConnectorError('config_error', this.wrongTokenMessage(), 'apptoken.startSession answered INVALID_APP_TOKEN_HASH for every hash type');
  }

  private wrongTokenMessage(): string {
    const { appToken, appTokenId } = this.credentials;
    if (looksUpperCased(appToken)) return upperCasedTokenMessage(appTokenId);
    const looksLikeId = appToken === appTokenId || /^\d+_[a-z0-9]{8}$/i.test(appToken);
    if (looksLikeId) {
      return `app_token holds a token id, not the token's value (INVALID_APP_TOKEN_HASH). Put the token id in app_token_id and the 32-character token value (the "token" field returned when the token was created) in app_token.`;
    }
    return `app_token is not the value of app token "${appTokenId}" (INVALID_APP_TOKEN_HASH with every hash type). Copy the token value (the "token" field returned by appToken.add, 32 hexadecimal characters) into app_token; the token id must not be used in its place.`;
  }

  private async tryHash(widgetKs: string, hashType: HashType): Promise<SessionInfo> {
    const tokenHash = appTokenHash(hashType, widgetKs, this.credentials.appToken);
    secrets.add(tokenHash);
    const params: Record<string, unknown> = { id: this.credentials.appTokenId, tokenHash, ks: widgetKs };
    if (this.credentials.sessionUserId) params.userId = this.credentials.sessionUserId;
    const { value, serverTime } = await this.transport.callWithServerTime<SessionInfo>('apptoken', 'startSession', params);
    return serverTime !== undefined ? { ...value, serverTime } : value;
  }
}
