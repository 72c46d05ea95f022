import { readFileSync } from 'node:fs';

/** Resident set size of a process in MiB, from /proc (Linux); NaN when it cannot be read. */
export function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Samples a process's RSS on an interval and keeps the peak, until stopped. */
export function sampleRss(pid: number, everyMs = 100): { stop(): number } {
  let peak = rssMiB(pid);
  const timer = setInterval(() => {
    const now = rssMiB(pid);
    if (now > peak || Number.isNaN(peak)) peak = now;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const now = rssMiB(pid);
      return now > peak ? now : peak;
    },
  };
}
