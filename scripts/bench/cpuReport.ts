// Loaded with `node --import` into the connector process under benchmark: at exit it writes the
// process's own CPU time and peak RSS to the file named by BENCH_REPORT, outside its stdout.
import { writeFileSync } from 'node:fs';

const target = process.env.BENCH_REPORT;
if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(target, JSON.stringify({ cpuMicros: usage.userCPUTime + usage.systemCPUTime, maxRssKb: usage.maxRSS }));
  });
}
