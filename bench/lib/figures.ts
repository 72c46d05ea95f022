/**
 * What `npm run bench` records as it goes: the figures of its table, the raw runs behind them
 * (bench/results/latest.json) and notes on anything odd. Sections add to them; bench/run.ts
 * prints them and applies the gate.
 */
import { loadavg } from 'node:os';
import { machineLine, type Machine } from './machine';
import { CONNECTIONS, DURATION_S, LOG_LEVEL, QUICK } from './run-settings';
import { renderTable } from './table';

export interface Figure {
  figure: string;
  value: string;
  goal: string;
  met: boolean | null;
  /** A throughput ratio and its goal: `--gate` fails the run when the ratio is under half of it. */
  gate?: { ratio: number; goal: number };
}

export const figures: Figure[] = [];
export const raw: Record<string, unknown> = {};
export const notes: string[] = [];

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export function figure(
  name: string,
  value: string,
  goal: string,
  met: boolean | null,
  gate?: Figure['gate'],
): void {
  figures.push({ figure: name, value, goal, met, gate });
}

/** A section's row in the quick run's table where it is left to the full bench: its name and goals. */
export type QuickRow = readonly [name: string, goals: string];

/**
 * A figure that gates nothing and costs the quick run more than its row is worth there: `--quick`
 * (CI's regression check, about a minute and a half) leaves it to the full bench, and says so.
 */
export function leftToFullBench(name: string, goal: string): boolean {
  if (QUICK) figure(name, 'not run by --quick: npm run bench measures it', goal, null);
  return QUICK;
}

/** `--gate` (CI): the throughput ratios under half their goal. Start time and RSS never gate. */
export function gateFailures(): Figure[] {
  return figures.filter((f) => f.gate && f.gate.ratio < f.gate.goal / 2);
}

/** The table's sections, in printed order: a figure is in the first its name starts with. */
const SECTIONS = [
  'auth overhead',
  'framework overhead',
  'cache miss',
  'propagation',
  'memory',
  'start',
  'metrics cost',
  'analytics',
  'quotas cost',
  'tracing',
  'token constraints',
  'uses',
  'business token policy',
  'pgbouncer',
  'federation',
  'agents',
];

function section(f: Figure): number {
  return SECTIONS.findIndex((s) => f.figure.startsWith(s)) + 1;
}

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** Prints the figures' table under the machine and the command; answers the seconds taken. */
export function printTable(
  command: string,
  started: number,
  machine: Machine,
  loadAtStart: string,
): number {
  const rows = [...figures]
    .sort((x, y) => section(x) - section(y))
    .map((f) => [
      `${section(f)}. ${f.figure}`,
      f.value,
      f.goal,
      f.met === null ? '' : f.met ? 'met' : 'MISSED',
    ]);
  const table = renderTable(['figure', 'value', 'goal', 'result'], rows);
  const seconds = Math.round((Date.now() - started) / 1000);
  const header = [
    machineLine(machine),
    `command: ${command} (autocannon ${CONNECTIONS} connections, ${DURATION_S} s per run, runs alternated; ` +
      `LOG_LEVEL=${LOG_LEVEL}; rate limits off; load generator on the same machine); took ${seconds} s`,
    `load average: ${loadAtStart} at start, ${loadAverage()} at end ` +
      '(other work on the machine skews every figure)',
  ];
  process.stdout.write(`\n${header.join('\n')}\n\n${table}\n`);
  if (notes.length > 0) process.stdout.write(`\nnotes:\n  - ${notes.join('\n  - ')}\n`);
  return seconds;
}
