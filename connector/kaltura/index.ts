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

/**
 * How long one failing request may keep retrying: the config's max_retry_seconds, else the
 * `SOURCE_KALTURA_MAX_RETRY_SECONDS` environment variable (for a cron or Meltano setup that sets it
 * once for every config), else the transport's default (3 minutes).
 */
function retryTimeMs(config: Config): number | undefined {
  if (config.max_retry_seconds !== undefined) return config.max_retry_seconds * 1000;
  const seconds = Number(process.env.SOURCE_KALTURA_MAX_RETRY_SECONDS);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

export function createKalturaClient(config: Config, log: Logger, tuning: ClientTuning = {}): KalturaClient {
  const maxRetryTimeMs = retryTimeMs(config);
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
