// Run by the Dockerfile's build stage: the labels io.airbyte.name and io.airbyte.version come from
// the build arguments CONNECTOR_NAME and CONNECTOR_VERSION (defaults in the Dockerfile, or
// --build-arg), which must agree with package.json.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const name = process.env.CONNECTOR_NAME ?? '';
const version = process.env.CONNECTOR_VERSION ?? '';
const hint = `build without those --build-arg (the Dockerfile's defaults), or pass CONNECTOR_NAME=airbyte/${pkg.name} CONNECTOR_VERSION=${pkg.version}; if the defaults themselves are stale, run \`node scripts/docker/sync-version.mjs\` (npm version does)`;
const problems = [];
if (version !== pkg.version) problems.push(`CONNECTOR_VERSION is "${version}" but package.json's version is ${pkg.version}`);
if (name.split('/').pop() !== pkg.name) problems.push(`CONNECTOR_NAME "${name}" does not end in /${pkg.name}`);
if (problems.length > 0) {
  console.error(`${problems.join('; ')}: ${hint}`);
  process.exit(1);
}
console.error(`labels: io.airbyte.name=${name} io.airbyte.version=${version}`);
