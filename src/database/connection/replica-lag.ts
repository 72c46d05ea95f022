/** A WAL position (`pg_lsn`, written `16/B374D848`) as a number that orders as positions do. */
export function lsnOf(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!match) throw new Error(`not a WAL position: ${text}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** The primary's WAL position, and when (on this process's monotonic clock) it was asked for. */
interface Sample {
  at: number;
  lsn: bigint;
}

/**
 * How far behind the primary a replica is, by position rather than by time: the primary's WAL
 * position is sampled (`pg_current_wal_lsn()`), and a replica that has replayed up to a sample's
 * position holds every transaction that committed before that sample was asked for (a commit is
 * answered only once its record is in the WAL). So a replica is "caught up to" the time of the
 * latest sample its replay position has reached; lag is the age of that time.
 *
 * `now() - pg_last_xact_replay_timestamp()` would not do: on a quiet primary nothing commits, the
 * last replayed transaction grows old, and an idle replica that holds everything looks ever
 * further behind; and a replica whose WAL receiver stopped looks current.
 */
export class PrimaryPositions {
  private readonly samples: Sample[] = [];

  /** `keepMs`: samples older than this are dropped; a replica further behind is just "behind". */
  constructor(private readonly keepMs: number) {}

  /** Records the primary's position, asked for at `at`. */
  add(at: number, lsn: bigint): void {
    this.samples.push({ at, lsn });
    const cutoff = at - this.keepMs;
    let old = 0;
    while (old < this.samples.length - 1 && this.samples[old].at < cutoff) old++;
    if (old > 0) this.samples.splice(0, old);
  }

  /**
   * The time the replica at `replayed` has every commit from before: the latest sample whose
   * position it has reached. -Infinity when it has reached none that is kept.
   */
  caughtUpTo(replayed: bigint): number {
    for (let i = this.samples.length - 1; i >= 0; i--) {
      if (this.samples[i].lsn <= replayed) return this.samples[i].at;
    }
    return -Infinity;
  }

  /** When the latest sample was asked for; -Infinity before the first. */
  get latest(): number {
    return this.samples.at(-1)?.at ?? -Infinity;
  }
}
