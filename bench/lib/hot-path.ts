import { mean, round } from '../../test/harness/stats';

interface Rated {
  rps: number;
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
 * The hot-path figures: a warm `/auth/verify` and a warm `/api/v1/me`, each ÷ the floor
 * (bare Fastify doing the same cached verification and answering the same body,
 * bench/fastify-verify.ts), runs alternated in one process's load. A ratio is gated (CI fails
 * under half its goal) only where `gates` says it stands clear of that line by more than the
 * quick runs' noise; docs/performance.md has the figures behind each choice.
 */
export function reportHotPath(
  label: string,
  runs: { me: Rated[]; verify: Rated[]; floor: Rated[] },
  figure: FigureSink,
  gates: HotPathGates,
): void {
  const floor = mean(runs.floor.map((r) => r.rps));
  for (const [path, list, gated] of [
    ['/auth/verify', runs.verify, gates.verify],
    ['/api/v1/me', runs.me, gates.me],
  ] as const) {
    const rps = mean(list.map((r) => r.rps));
    const ratio = rps / floor;
    figure(
      `framework overhead, ${label}: ${path} (warm) ÷ the floor (bare Fastify, the same cached verification, an 820-byte answer)`,
      `${round(ratio)} (${round(rps, 0)} vs ${round(floor, 0)} req/s)`,
      '≥ 0.80',
      ratio >= 0.8,
      gated ? { ratio, goal: 0.8 } : undefined,
    );
  }
}
