// Loaded with `node --import` into the connector process under benchmark: at exit it appends the
// process's own CPU time and peak RSS to the file named by BENCH_REPORT, outside its stdout. One
// line per process: plain `node connector` starts itself again under the heap caps
// (connector/util/heapCaps.ts), and both the waiting parent and the working child report.
import { appendFileSync } from 'node:fs';

const target = process.env.BENCH_REPORT;
if (target) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    appendFileSync(target, `${JSON.stringify({ pid: process.pid, ppid: process.ppid, cpuMicros: usage.userCPUTime + usage.systemCPUTime, maxRssKb: usage.maxRSS })}\n`);
  });
}
