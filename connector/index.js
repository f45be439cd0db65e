#!/usr/bin/env node
// `node connector <command>` resolves to this file; the TypeScript build lives in dist/. It first
// puts itself under the heap caps (a child started with them, unless NODE_OPTIONS or node flags
// say otherwise), so that the plain command stays small (connector/util/heapCaps.ts).
import { fileURLToPath } from 'node:url';
import { applyHeapCaps } from '../dist/connector/util/heapCaps.js';

if (!applyHeapCaps(fileURLToPath(import.meta.url))) {
  const { main } = await import('../dist/connector/main.js');
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`source-kaltura: unexpected failure: ${err?.message ?? err}\n`);
      process.exitCode = 1;
    },
  );
}
