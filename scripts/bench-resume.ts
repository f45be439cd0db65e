// `npm run bench` (last part): how much of its work a killed incremental read keeps. 40,000
// entries (a 12,000-media-row bulk-update second among them), killed with SIGKILL after 9,000
// printed lines three times, each run resuming from the states the previous one printed, then
// run to the end. The figure is records delivered over all runs per distinct entry (target
// <= 1.2), with nothing missing. BENCH_QUICK=1 runs 10,000 entries, killed after 2,500 lines.
import { startFixture } from '../test/helpers/setup.js';
import { measureKilledReads } from '../test/helpers/resume.js';

const quick = process.env.BENCH_QUICK === '1';
const entries = quick ? 10_000 : 40_000;
const killAfterLines = quick ? 2_500 : 9_000;
const kills = 3;

const fx = await startFixture({ entries, categories: 200, seed: 11 });
try {
  const started = Date.now();
  const m = await measureKilledReads(fx, { killAfterLines, kills });
  const ratio = m.delivered / m.distinct;
  console.log(`## 7. A killed incremental read resumes (${entries.toLocaleString('en-US')} entries, SIGKILL after ${killAfterLines.toLocaleString('en-US')} lines, ${kills} times)`);
  console.log();
  console.log('| runs | records per run | delivered | distinct entries | delivered / distinct | missing | last exit code |');
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: |');
  console.log(`| ${m.perRun.length} | ${m.perRun.map((n) => n.toLocaleString('en-US')).join(', ')} | ${m.delivered.toLocaleString('en-US')} | ${m.distinct.toLocaleString('en-US')} | ${ratio.toFixed(2)} | ${m.missing.length} | ${m.finalCode} |`);
  console.log();
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s in all)`);
  if (m.missing.length > 0 || m.finalCode !== 0) process.exitCode = 1;
} finally {
  await fx.close();
}
