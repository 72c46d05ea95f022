import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** A process's user plus system CPU time so far, in µs, from /proc (Linux); NaN when unreadable. */
export function cpuMicros(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name (field 2) may hold spaces; fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS;
  } catch {
    return NaN;
  }
}

/** The CPU so far of every process named `name` (its `comm`), by pid. */
function cpuOfProcessesNamed(name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== name) continue;
    } catch {
      continue; // gone since the listing
    }
    const us = cpuMicros(Number(entry));
    if (!Number.isNaN(us)) out.set(Number(entry), us);
  }
  return out;
}

/** The machine's busy and total CPU time so far, in µs over every core, from /proc/stat. */
function machineMicros(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = ticks[3] + (ticks[4] ?? 0); // idle and iowait
  return { busy: ((total - idle) * 1e6) / TICKS, total: (total * 1e6) / TICKS };
}

/**
 * What each party of a run spent, in µs of CPU: the processes given by pid, every process of
 * each name given (all PostgreSQL backends, say: a process that started during the run counts
 * whole, one that ended is not counted), this process itself (where autocannon runs), and the
 * machine's busy share. Start it before the run and call `stop()` after.
 */
export function cpuSpent(
  pids: Record<string, number>,
  names: Record<string, string> = {},
): { stop(): { byParty: Record<string, number>; self: number; busyShare: number } } {
  const before = {
    pids: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMicros(pid)])),
    names: Object.fromEntries(Object.entries(names).map(([k, n]) => [k, cpuOfProcessesNamed(n)])),
    self: process.cpuUsage(),
    machine: machineMicros(),
  };
  return {
    stop() {
      const byParty: Record<string, number> = {};
      for (const [k, pid] of Object.entries(pids)) byParty[k] = cpuMicros(pid) - before.pids[k];
      for (const [k, n] of Object.entries(names)) {
        let sum = 0;
        for (const [pid, us] of cpuOfProcessesNamed(n)) sum += us - (before.names[k].get(pid) ?? 0);
        byParty[k] = sum;
      }
      const self = process.cpuUsage(before.self);
      const machine = machineMicros();
      return {
        byParty,
        self: self.user + self.system,
        busyShare:
          (machine.busy - before.machine.busy) / (machine.total - before.machine.total || 1),
      };
    },
  };
}
