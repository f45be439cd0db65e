// Run by the Dockerfile's build stage: the labels io.airbyte.name and io.airbyte.version come from
// the build arguments CONNECTOR_NAME and CONNECTOR_VERSION, which must agree with package.json.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
const name = process.env.CONNECTOR_NAME ?? '';
const version = process.env.CONNECTOR_VERSION ?? '';
const hint = `pass --build-arg CONNECTOR_NAME=airbyte/${pkg.name} --build-arg CONNECTOR_VERSION=${pkg.version} (npm run docker:build does)`;
const problems = [];
if (version !== pkg.version) problems.push(`CONNECTOR_VERSION is "${version}" but package.json's version is ${pkg.version}`);
if (name.split('/').pop() !== pkg.name) problems.push(`CONNECTOR_NAME "${name}" does not end in /${pkg.name}`);
if (problems.length > 0) {
  console.error(`${problems.join('; ')}: ${hint}`);
  process.exit(1);
}
console.error(`labels: io.airbyte.name=${name} io.airbyte.version=${version}`);
