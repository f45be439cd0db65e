import type { RawConfig } from '../generated/types.js';
import { createAjv, describeAjvErrors } from '../util/ajv.js';
import { readPackageJson } from '../util/paths.js';
import { readJsonFile } from '../util/files.js';
import { ConnectorError } from '../kaltura/errors.js';
import { secrets } from '../util/redact.js';

type Defaulted = 'service_url' | 'lookback_window_seconds' | 'page_size' | 'max_concurrency' | 'request_timeout_seconds' | 'allow_insecure_http';
/** The config after validation: the spec's defaults are filled in, so these keys are always present. */
export type Config = RawConfig & Required<Pick<RawConfig, Defaulted>> & { startTime?: number };

export const connectorSpec = readPackageJson('spec/spec.json') as { connectionSpecification: object } & Record<string, unknown>;
const validate = createAjv({ useDefaults: true }).compile(connectorSpec.connectionSpecification);

export async function loadConfig(path: string, now = Date.now()): Promise<Config> {
  return parseConfig(await readJsonFile(path, 'config'), now);
}

export function parseConfig(input: unknown, now = Date.now()): Config {
  const raw = structuredClone(input);
  if (raw !== null && typeof raw === 'object' && typeof (raw as RawConfig).app_token === 'string') secrets.add((raw as RawConfig).app_token);
  if (!validate(raw)) {
    const problems = describeAjvErrors(validate.errors);
    throw new ConnectorError('config_error', `The config has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n- ${problems.join('\n- ')}`);
  }
  const config = raw as Config;
  config.service_url = config.service_url.replace(/\/+$/, '');
  const problems = [...checkServiceUrl(config), ...checkStartDate(config, now)];
  if (problems.length > 0) throw new ConnectorError('config_error', `The config has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n- ${problems.join('\n- ')}`);
  if (config.start_date) config.startTime = Math.floor(Date.parse(config.start_date) / 1000);
  return config;
}

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

function checkServiceUrl(config: Config): string[] {
  let url: URL;
  try {
    url = new URL(config.service_url);
  } catch {
    return [`service_url: "${config.service_url}" is not a URL; use the API host, such as https://www.kaltura.com`];
  }
  const loopback = loopbackHosts.has(url.hostname) || url.hostname.startsWith('127.');
  if (url.protocol === 'http:' && !loopback && !config.allow_insecure_http) {
    return [`service_url: ${url.origin} is plain http, which would send the app token unencrypted; use https:// (or set allow_insecure_http to true if you must)`];
  }
  return [];
}

function checkStartDate(config: Config, now: number): string[] {
  if (!config.start_date) return [];
  const at = Date.parse(config.start_date);
  if (Number.isNaN(at)) return [`start_date: "${config.start_date}" is not a date; use a form like 2020-01-01T00:00:00Z`];
  if (at > now) return [`start_date: ${config.start_date} is in the future, so nothing would be read; use a past date or leave it empty`];
  return [];
}
