#!/usr/bin/env -S node --max-old-space-size=160 --max-semi-space-size=8
// `node connector <command>` resolves to this file; the TypeScript build lives in dist/.
import { main } from '../dist/connector/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`source-kaltura: unexpected failure: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
);
