/**
 * With SUITE_CPU_FILE set, each suite appends a line to it: its path, the CPU its worker spent on
 * it (user and system, seconds), what the processes it started and waited for spent (children_s:
 * apps, the CLI, Chromium; Linux only), its wall seconds and when it started (so a run's lanes can
 * be drawn over time, gaps included), and its worker's pid and heap after it.
 * A worker runs one suite at a time, so the worker's own CPU is the suite's, module loading included. Unlike wall time, a suite's CPU
 * barely moves with the machine's load, so it says which suites the run's CPU goes to
 * (docs/testing.md):
 *
 *   SUITE_CPU_FILE=/tmp/cpu.jsonl npm test; node scripts/suite-times.js --cpu /tmp/cpu.jsonl
 */
const { appendFileSync, readFileSync } = require('node:fs');
const { relative } = require('node:path');

/** Linux's clock ticks per second, in which /proc counts CPU time. */
const TICKS = 100;

/** The CPU seconds of this process's children that have ended and been waited for (Linux). */
function childrenSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields from the state on, after the command name in parentheses: cutime and cstime are
    // the 16th and 17th of the line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / TICKS;
  } catch {
    return 0;
  }
}

/** The clock as the suite found it: a suite's fake timers replace Date.now, not this. */
const realNow = Date.now;

const file = process.env.SUITE_CPU_FILE;
if (file) {
  const cpuAtStart = process.cpuUsage();
  const childrenAtStart = childrenSeconds();
  const wallAtStart = realNow();
  afterAll(() => {
    const cpu = process.cpuUsage(cpuAtStart);
    const line = {
      suite: relative(process.cwd(), expect.getState().testPath ?? ''),
      user_s: cpu.user / 1e6,
      system_s: cpu.system / 1e6,
      children_s: childrenSeconds() - childrenAtStart,
      wall_s: (realNow() - wallAtStart) / 1000,
      started_at: new Date(wallAtStart).toISOString(),
      // A new pid in a lane is a worker replaced (jest.config.js, workerIdleMemoryLimit): its
      // next suite loads every module afresh.
      pid: process.pid,
      heap_mib: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  });
}
