// The Airbyte registry entry (metadata.yaml) and the Dockerfile agree with package.json and with
// Airbyte's image conventions. Static checks, so the main suite catches drift without building the
// image (npm run test:docker builds and runs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { repoRoot } from '../helpers/cli.js';

const read = (name: string) => readFileSync(join(repoRoot, name), 'utf8');
const pkg = JSON.parse(read('package.json')) as { name: string; version: string; license: string };
const spec = JSON.parse(read('spec/spec.json')) as { documentationUrl: string; connectionSpecification: { properties: Record<string, unknown> } };

test('metadata.yaml: a source whose image name and tag follow package.json, with allowedHosts from the config', () => {
  const { data, metadataSpecVersion } = yaml.load(read('metadata.yaml')) as { data: Record<string, any>; metadataSpecVersion: string };
  assert.equal(metadataSpecVersion, '1.0');
  assert.equal(data.connectorType, 'source');
  assert.equal(data.dockerRepository, `airbyte/${pkg.name}`);
  assert.equal(data.dockerImageTag, pkg.version);
  assert.equal(data.license, pkg.license);
  assert.equal(data.documentationUrl, spec.documentationUrl);
  assert.match(data.definitionId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.ok(data.allowedHosts.hosts.includes('${service_url}'), 'the configured Kaltura host is allowed');
  for (const host of data.allowedHosts.hosts as string[]) {
    for (const [, key] of host.matchAll(/\$\{([^}]+)\}/g)) assert.ok(spec.connectionSpecification.properties[key!], `allowedHosts names ${key}, a config field`);
  }
});

test('Dockerfile: absolute ENTRYPOINT equal to AIRBYTE_ENTRYPOINT, user airbyte, labels, a slim Node LTS base by default', () => {
  const dockerfile = read('Dockerfile').replace(/\\\n/g, ' ');
  const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? 'null') as string[];
  assert.ok(entrypoint?.every((p) => p.startsWith('/')), 'ENTRYPOINT in exec form with absolute paths');
  assert.equal(/^ENV AIRBYTE_ENTRYPOINT="([^"]*)"$/m.exec(dockerfile)?.[1], entrypoint.join(' '));
  assert.match(dockerfile, /^USER airbyte$/m);
  assert.match(dockerfile, /io\.airbyte\.name="\$\{CONNECTOR_NAME\}"/);
  assert.match(dockerfile, /io\.airbyte\.version="\$\{CONNECTOR_VERSION\}"/);
  const base = /^ARG BASE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
  assert.match(base ?? '', /^node:(\d*[02468])(\.\d+)*-(\w+-)?slim$/, 'an official Node LTS (even major) slim image');
  assert.equal(dockerfile.match(/^FROM /gm)?.length, 2, 'a build stage and a runtime stage');
});

test('Dockerfile: a plain `docker build .` labels the image with package.json\'s name and version (the build arguments\' defaults)', () => {
  const dockerfile = read('Dockerfile');
  const global = dockerfile.slice(0, dockerfile.indexOf('\nFROM '));
  assert.equal(/^ARG CONNECTOR_NAME=(\S+)$/m.exec(global)?.[1], `airbyte/${pkg.name}`, 'CONNECTOR_NAME defaults to the image name (run node scripts/docker/sync-version.mjs)');
  assert.equal(/^ARG CONNECTOR_VERSION=(\S+)$/m.exec(global)?.[1], pkg.version, 'CONNECTOR_VERSION defaults to package.json\'s version (run node scripts/docker/sync-version.mjs)');
  const pkgScripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
  assert.match(pkgScripts.version ?? '', /sync-version\.mjs/, '`npm version` moves the defaults with the version');
});

test('Dockerfile build check: build arguments that disagree with package.json stop the build, naming both', () => {
  const check = (env: Record<string, string>) =>
    spawnSync(process.execPath, [join(repoRoot, 'scripts', 'docker', 'check-build-args.mjs')], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const good = check({ CONNECTOR_NAME: `airbyte/${pkg.name}`, CONNECTOR_VERSION: pkg.version });
  assert.equal(good.status, 0, good.stderr);
  const stale = check({ CONNECTOR_NAME: `airbyte/${pkg.name}`, CONNECTOR_VERSION: '0.0.0-old' });
  assert.equal(stale.status, 1);
  assert.match(stale.stderr, new RegExp(`CONNECTOR_VERSION is "0\\.0\\.0-old" but package.json's version is ${pkg.version.replace(/\./g, '\\.')}`));
});

test('Dockerfile: no CA bundle settings (only CI\'s stand-in base image carries them, never the image users get)', () => {
  const dockerfile = read('Dockerfile');
  assert.ok(dockerfile.includes('FROM '), 'read the Dockerfile');
  assert.doesNotMatch(dockerfile, /cafile/i, 'no npm cafile setting');
  assert.doesNotMatch(dockerfile, /NODE_EXTRA_CA_CERTS/, 'no NODE_EXTRA_CA_CERTS');
});
