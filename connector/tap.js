#!/usr/bin/env node
// The `tap-kaltura` command: the same program, always speaking Singer (as Meltano runs a tap),
// under the same heap caps as `node connector` (connector/util/heapCaps.ts).
import { fileURLToPath } from 'node:url';
import { applyHeapCaps } from '../dist/connector/util/heapCaps.js';

if (!applyHeapCaps(fileURLToPath(import.meta.url))) {
  const { main } = await import('../dist/connector/main.js');
  main(process.argv.slice(2), { protocol: 'singer' }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`tap-kaltura: unexpected failure: ${err?.message ?? err}\n`);
      process.exitCode = 1;
    },
  );
}
