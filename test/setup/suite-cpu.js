/**
 * With SUITE_CPU_FILE set, each suite appends a line to it: its path, the CPU its worker spent on
 * it (user and system, seconds) and its wall seconds. A worker runs one suite at a time, so the
 * worker's own CPU is the suite's, module loading included; what a suite's child processes spend
 * (apps, the CLI, Chromium) is not in it. Unlike wall time, a suite's CPU barely moves with the
 * machine's load, so it says which suites the run's CPU goes to (docs/testing.md):
 *
 *   SUITE_CPU_FILE=/tmp/cpu.jsonl npm test; node scripts/suite-times.js --cpu /tmp/cpu.jsonl
 */
const { appendFileSync } = require('node:fs');
const { relative } = require('node:path');

const file = process.env.SUITE_CPU_FILE;
if (file) {
  const cpuAtStart = process.cpuUsage();
  const wallAtStart = Date.now();
  afterAll(() => {
    const cpu = process.cpuUsage(cpuAtStart);
    const line = {
      suite: relative(process.cwd(), expect.getState().testPath ?? ''),
      user_s: cpu.user / 1e6,
      system_s: cpu.system / 1e6,
      wall_s: (Date.now() - wallAtStart) / 1000,
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  });
}
