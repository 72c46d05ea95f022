import { mean, round } from '../../test/harness/stats';

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
      '≥ 0.80',
      ratio >= 0.8,
      gated ? { ratio, goal: 0.8 } : undefined,
    );
  }
}

/** The mean server CPU per request of runs that measured it, in µs, or `?`. */
export function cpuOf(runs: readonly Rated[]): string {
  const measured = runs.map((r) => r.cpu_us).filter((us): us is number => us !== undefined);
  return measured.length ? String(round(mean(measured), 1)) : '?';
}
