#!/usr/bin/env -S node --max-old-space-size=160 --max-semi-space-size=8
// The `tap-kaltura` command: the same program, always speaking Singer (as Meltano runs a tap).
import { main } from '../dist/connector/main.js';

main(process.argv.slice(2), { protocol: 'singer' }).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`tap-kaltura: unexpected failure: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
);
