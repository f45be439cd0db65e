import type { KalturaTransport, Params, SessionSource } from './transport.js';
import type { AppTokenSession } from './session.js';
import { KalturaApiError } from './errors.js';
import type { Logger } from '../util/logger.js';

/** How many times one call may log in again after INVALID_KS before the failure is reported. */
const maxRelogins = 3;

const ksReasons = new Set(['EXPIRED', 'LOGOUT', 'INVALID_PARTNER', 'INVALID_USER', 'EXCEEDED_ACTIONS_LIMIT', 'EXCEEDED_RESTRICTED_IP', 'EXCEEDED_RESTRICTED_URI']);

/** The reason word of an INVALID_KS; an unreadable session is quoted back whole, and never logged. */
function reasonOf(err: KalturaApiError): string {
  const reason = err.args.KSID;
  return reason !== undefined && ksReasons.has(reason) ? reason : 'INVALID_KS, unreadable session';
}

export interface ListResponse<T = Record<string, unknown>> {
  objects: T[];
  totalCount: number;
  objectType: string;
}

/**
 * Calls Kaltura with the current session. A call refused with INVALID_KS (an expired or revoked
 * KS) logs in again and is sent again unchanged: Kaltura keeps no server-side cursor, so the
 * same filter and pager give the same page, and nothing is lost or read twice.
 */
export class KalturaClient {
  constructor(
    private readonly transport: KalturaTransport,
    readonly session: AppTokenSession,
    private readonly log: Logger,
  ) {}

  async call<T>(service: string, action: string, params: Params, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      // Each HTTP attempt takes the session current when it is sent (see SessionSource).
      let used: string | undefined;
      const source: SessionSource = {
        ks: () => this.session.ks(),
        fresh: () => this.session.fresh(),
        sent: (ks) => {
          used = ks;
        },
      };
      try {
        return await this.transport.call<T>(service, action, params, signal, true, source);
      } catch (err) {
        if (!(err instanceof KalturaApiError && err.code === 'INVALID_KS') || attempt >= maxRelogins) throw err;
        this.log.info(`${service}.${action}: the session was refused (${reasonOf(err)}); logging in again and resending the same request`);
        if (used !== undefined) this.session.invalidate(used);
      }
    }
  }

  list<T = Record<string, unknown>>(service: string, params: Params, signal?: AbortSignal): Promise<ListResponse<T>> {
    return this.call<ListResponse<T>>(service, 'list', params, signal);
  }

  /** Kaltura's clock, for upper bounds that must not run ahead of the server. */
  async serverTime(): Promise<number> {
    const answer = await this.transport.call<unknown>('system', 'getTime', {});
    if (typeof answer === 'number') return answer;
    throw new Error('system.getTime did not answer a number');
  }
}
