import type { RawConfig } from '../generated/types.js';
import type { ErrorObject } from 'ajv';
import { createAjv, describeAjvErrors } from '../util/ajv.js';
import { readPackageJson } from '../util/paths.js';
import { readJsonFile } from '../util/files.js';
import { ConnectorError } from '../util/errors.js';
import { secrets } from '../util/redact.js';
import { isObject } from '../util/json.js';

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
  const valid = validate(raw);
  // Every problem at once: the schema's, then the checks it cannot express, on the fields it accepted.
  const schemaErrors = valid ? [] : (validate.errors ?? []);
  const flagged = new Set(schemaErrors.map((e) => e.instancePath.split('/')[1] ?? ''));
  const problems = friendlySchemaProblems(schemaErrors, raw);
  const config = raw as Config;
  if (isObject(config)) {
    if (typeof config.service_url === 'string' && !flagged.has('service_url')) {
      config.service_url = config.service_url.replace(/\/+$/, '');
      problems.push(...checkServiceUrl(config));
    }
    if (typeof config.start_date === 'string' && !flagged.has('start_date')) problems.push(...checkStartDate(config, now));
  }
  if (problems.length > 0) throw new ConnectorError('config_error', `The config has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n- ${problems.join('\n- ')}`);
  if (config.start_date) config.startTime = Math.floor(Date.parse(config.start_date) / 1000);
  return config;
}

/**
 * The schema's errors, one line per field, with the fields whose schema rule reads badly
 * ("must match pattern ^https?://...") said the way a person would.
 */
function friendlySchemaProblems(errors: ErrorObject[], raw: unknown): string[] {
  const value = (field: string): unknown => (isObject(raw) ? raw[field] : undefined);
  const special = new Map<string, string>();
  const rest: ErrorObject[] = [];
  for (const e of errors) {
    const field = e.instancePath.split('/')[1] ?? '';
    if (field === 'service_url' && (e.keyword === 'pattern' || e.keyword === 'format')) {
      special.set(field, serviceUrlProblem(value(field)));
    } else if (field === 'start_date' && (e.keyword === 'pattern' || e.keyword === 'format')) {
      special.set(field, `start_date: ${JSON.stringify(value(field))} is not a date-time; use a form like 2020-01-01T00:00:00Z`);
    } else rest.push(e);
  }
  return [...describeAjvErrors(rest), ...special.values()];
}

function serviceUrlProblem(value: unknown): string {
  const shown = JSON.stringify(value);
  const fix = 'use the API host of your Kaltura account, such as https://www.kaltura.com';
  let url: URL | undefined;
  try {
    url = new URL(String(value));
  } catch {
    url = undefined;
  }
  if (!url) return `service_url: ${shown} is not a URL; ${fix}`;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `service_url: ${shown} must start with https://; ${fix}`;
  if (url.pathname !== '/' || url.search || url.hash) return `service_url: ${shown} has a path; give only the host (the connector adds /api_v3/...), such as https://www.kaltura.com`;
  return `service_url: ${shown} is not of the form https://host[:port]; ${fix}`;
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
