import type { Config } from '../config/config.js';
import type { Logger } from '../util/logger.js';
import { KalturaClient } from './client.js';
import { AdaptiveLimiter } from './limiter.js';
import { AppTokenSession } from './session.js';
import { KalturaTransport } from './transport.js';

export interface ClientTuning {
  /** Retries after the first attempt for transient failures. */
  retries?: number;
  minBackoffMs?: number;
  maxRetryTimeMs?: number;
}

/** `SOURCE_KALTURA_MAX_RETRY_SECONDS` bounds how long one request keeps retrying (default 10 minutes). */
function retryTimeFromEnvironment(): number | undefined {
  const seconds = Number(process.env.SOURCE_KALTURA_MAX_RETRY_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

export function createKalturaClient(config: Config, log: Logger, tuning: ClientTuning = {}): KalturaClient {
  const maxRetryTimeMs = retryTimeFromEnvironment();
  const transport = new KalturaTransport({
    ...(maxRetryTimeMs ? { maxRetryTimeMs } : {}),
    serviceUrl: config.service_url,
    timeoutMs: config.request_timeout_seconds * 1000,
    limiter: new AdaptiveLimiter(config.max_concurrency),
    log,
    ...tuning,
  });
  const session = new AppTokenSession(
    transport,
    {
      partnerId: config.partner_id,
      appTokenId: config.app_token_id,
      appToken: config.app_token,
      hashType: config.hash_type,
      sessionUserId: config.session_user_id,
      serviceUrl: config.service_url,
    },
    log,
  );
  return new KalturaClient(transport, session, log);
}
