import { mean, round } from '../../test/harness/stats';
import type { AuthRuns, RunKind } from './auth-overhead';
import { log, notes, raw } from './figures';
import type { LoadRun } from './load';

interface Rated {
  rps: number;
  cpu_us?: number;
}

/** How a figure is recorded (bench/lib/figures.ts): name, value, goal, met, and the gate if any. */
export type FigureSink = (
  name: string,
  value: string,
  goal: string,
  met: boolean | null,
  gate?: { ratio: number; goal: number },
) => void;

/** The goal of `/auth/verify` and `/api/v1/me` ÷ the floor. */
export const FLOOR_GOAL = 0.8;

/** Which of the two ratios CI gates at half their goal (see `reportHotPath`). */
export interface HotPathGates {
  verify: boolean;
  me: boolean;
}

/**
 * The hot-path figures: a warm `/auth/verify` ÷ the floor's gateway check (its 204 and the same
 * headers), and a warm `/api/v1/me` ÷ the floor's `/api/v1/me` (the same body and headers): bare
 * Fastify doing the same cached verification (bench/fastify-verify.ts), runs alternated in one
 * process's load. A ratio is gated (CI fails under half its goal) only where `gates` says it
 * stands clear of that line by more than the quick runs' noise; docs/performance.md has the
 * figures behind each choice.
 */
export function reportHotPath(
  label: string,
  runs: { me: Rated[]; verify: Rated[]; floor: Rated[]; verifyFloor: Rated[] },
  figure: FigureSink,
  gates: HotPathGates,
): void {
  for (const [path, list, floorRuns, gated] of [
    ['/auth/verify', runs.verify, runs.verifyFloor, gates.verify],
    ['/api/v1/me', runs.me, runs.floor, gates.me],
  ] as const) {
    const rps = mean(list.map((r) => r.rps));
    const floor = mean(floorRuns.map((r) => r.rps));
    const ratio = rps / floor;
    const cpu = `${cpuOf(list)} vs ${cpuOf(floorRuns)} µs of CPU a request`;
    figure(
      `framework overhead, ${label}: ${path} (warm) ÷ the floor (bare Fastify, the same cached verification, the same answer and headers)`,
      `${round(ratio)} (${round(rps, 0)} vs ${round(floor, 0)} req/s; ${cpu})`,
      `≥ ${FLOOR_GOAL.toFixed(2)}`,
      ratio >= FLOOR_GOAL,
      gated ? { ratio, goal: FLOOR_GOAL } : undefined,
    );
  }
}

/** The mean server CPU per request of runs that measured it, in µs, or `?`. */
export function cpuOf(runs: readonly Rated[]): string {
  const measured = runs.map((r) => r.cpu_us).filter((us): us is number => us !== undefined);
  return measured.length ? String(round(mean(measured), 1)) : '?';
}

/** A ratio CI gates: the req/s of `of`'s runs ÷ those of `over`'s, and its goal. */
export interface GatedPair {
  of: RunKind;
  over: RunKind;
  goal: number;
}

/** The alternated rounds in which a low reading is measured again. */
const AGAIN_ROUNDS = 3;

/**
 * Measures each gated pair that read under half its goal again, in alternated rounds, and keeps
 * the second reading in `runs`; the first goes to the notes and the raw results. One quick reading
 * on a shared two-core machine has fallen to half the build's own: `/api/v1/me` ÷ the floor read
 * 0.36 in a CI run, where the same build read 0.61 to 0.67 on its own (2026-11-30). A regression
 * reads low twice.
 */
export async function confirmLowReadings(
  label: string,
  runs: AuthRuns,
  pairs: readonly GatedPair[],
): Promise<void> {
  const rps = (list: readonly LoadRun[]) => mean(list.map((r) => r.rps));
  for (const { of, over, goal } of pairs) {
    const first = rps(runs[of]) / rps(runs[over]);
    if (first >= goal / 2) continue;
    log(`${label}: ${of} ÷ ${over} read ${round(first)}, under half its goal: measured again`);
    const again = { of: [] as LoadRun[], over: [] as LoadRun[] };
    for (let i = 0; i < AGAIN_ROUNDS; i++) {
      again.of.push(await runs.rerun(of));
      again.over.push(await runs.rerun(over));
    }
    raw[`${label}: ${of} ÷ ${over}, the first reading`] = { [of]: runs[of], [over]: runs[over] };
    runs[of] = again.of;
    runs[over] = again.over;
    notes.push(
      `${label}: ${of} ÷ ${over} read ${round(first)} at first, under half its goal of ${goal}; ` +
        `measured again in ${AGAIN_ROUNDS} rounds, it read ${round(rps(again.of) / rps(again.over))}, ` +
        'which the table shows and the gate takes',
    );
  }
}
