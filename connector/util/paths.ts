import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';

// dist/connector/util/paths.js -> package root, wherever the package is installed.
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function readPackageJson(name: string): unknown {
  return JSON.parse(readFileSync(join(packageRoot, name), 'utf8'));
}

export const packageInfo = readPackageJson('package.json') as { name: string; version: string; description: string };
