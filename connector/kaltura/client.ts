import type { AnswerDecoder, KalturaTransport, Params, SessionSource } from './transport.js';
import type { AppTokenSession } from './session.js';
import { KalturaApiError } from './errors.js';
import { actionOf, ksReason, unreadableSession } from './errorTable.js';
import type { Logger } from '../util/logger.js';

/** How many times one call may log in again after INVALID_KS before the failure is reported. */
const maxRelogins = 3;

export interface ListResponse<T = Record<string, unknown>> {
  objects: T[];
  totalCount: number;
  objectType: string;
}

/**
 * Calls Kaltura with the current session. A call refused with an error whose action is to re-login
 * (INVALID_KS: an expired or revoked KS, see the error table) logs in again and is sent again unchanged: Kaltura keeps no server-side cursor, so the
 * same filter and pager give the same page, and nothing is lost or read twice.
 */
export class KalturaClient {
  constructor(
    private readonly transport: KalturaTransport,
    readonly session: AppTokenSession,
    private readonly log: Logger,
  ) {}

  async call<T>(service: string, action: string, params: Params, signal?: AbortSignal, decode?: AnswerDecoder): Promise<T> {
    // Each HTTP attempt takes the session current when it is sent (see SessionSource).
    let used: string | undefined;
    const source: SessionSource = {
      ks: () => this.session.ks(),
      fresh: () => this.session.fresh(),
      sent: (ks) => {
        used = ks;
      },
    };
    for (let attempt = 0; ; attempt++) {
      used = undefined;
      try {
        return await this.transport.call<T>(service, action, params, signal, source, decode);
      } catch (err) {
        if (!(err instanceof KalturaApiError) || actionOf(err) !== 'relogin' || attempt >= maxRelogins) throw err;
        // An unreadable session is quoted back whole in KSID, and never logged.
        this.log.info(`${service}.${action}: the session was refused (${ksReason(err) ?? unreadableSession}); logging in again and resending the same request`);
        if (used !== undefined) this.session.invalidate(used);
      }
    }
  }

  list<T = Record<string, unknown>>(service: string, params: Params, signal?: AbortSignal, decode?: AnswerDecoder): Promise<ListResponse<T>> {
    return this.call<ListResponse<T>>(service, 'list', params, signal, decode);
  }

  /** Kaltura's clock, for upper bounds that must not run ahead of the server. */
  async serverTime(): Promise<number> {
    const answer = await this.transport.call<unknown>('system', 'getTime', {});
    if (typeof answer === 'number') return answer;
    throw new Error('system.getTime did not answer a number');
  }
}
