// `npm version` runs this (package.json "version" script): the Dockerfile's default labels and
// metadata.yaml's image tag follow package.json, so a plain `docker build .` of a new version
// labels it right instead of failing the build's check.
import { readFileSync, writeFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const name = `airbyte/${pkg.name}`;

function rewrite(file, edits) {
  const url = new URL(file, root);
  let text = readFileSync(url, 'utf8');
  for (const [pattern, replacement] of edits) {
    if (!pattern.test(text)) throw new Error(`${file}: no line matches ${pattern}`);
    text = text.replace(pattern, replacement);
  }
  writeFileSync(url, text);
}

rewrite('Dockerfile', [
  [/^ARG CONNECTOR_NAME=.*$/m, `ARG CONNECTOR_NAME=${name}`],
  [/^ARG CONNECTOR_VERSION=.*$/m, `ARG CONNECTOR_VERSION=${pkg.version}`],
  [/^(#   docker build -t )\S+( \.)/m, `$1${name}:${pkg.version}$2`],
]);
rewrite('metadata.yaml', [[/^(\s*dockerImageTag:\s*).*$/m, `$1${pkg.version}`]]);
console.error(`Dockerfile and metadata.yaml: ${name}:${pkg.version}`);
