/**
 * One installation of `npm run bench:scale`, grown in place: instances A and B of the built app
 * on one database (PostgreSQL, or a SQLite file) and one Redis, businesses made through A's API,
 * and their owners' tokens written straight in (scale-seed.ts) while A and B are stopped. A and
 * B start afresh at each size, so every size is measured from the same cold caches and start.
 */
import { join } from 'node:path';
import type { AppProcess } from '../../test/harness/app-process';
import { SHARED_KEYS_ENV } from '../../test/harness/keys';
import { LatchkeyClient, scoped } from '../../test/harness/latchkey-client';
import { RATE_LIMITS_OFF } from '../../test/harness/app-process';
import { log } from './figures';
import { LOG_LEVEL, REDIS_URL } from './run-settings';
import { openPostgres, openSqlite, type Driver, type ScaleDb } from './scale-db';
import { loadSeats, seedTokens, type KeptToken, type Seat } from './scale-seed';
import type { BenchScratch } from './scratch';

/** Businesses at a size: a few thousand at a million tokens. */
export const businessesFor = (tokens: number) => Math.max(25, Math.round(tokens / 400));
/** The share of each growth that goes to the first business, the one whose list is paged. */
const BIG_SHARE = 0.1;
/** Every KEEP_EVERY-th seeded token's secret is kept: enough unused ones at every size. */
const KEEP_EVERY = 4;
/** The owner's first token was made at the business's start: one status list holds its tokens. */
const LIST_CAPACITY = 131_072;

export class Installation {
  a!: AppProcess;
  b!: AppProcess;
  readonly seats: Seat[] = [];
  /** Each business's owner token (its first token's secret, from the create response). */
  readonly owners = new Map<string, string>();
  private readonly kept: KeptToken[] = [];
  private platformToken = '';
  private running = false;

  /** The bench's own connection: SQLite's is opened once the app has made the file. */
  db!: ScaleDb;

  private constructor(
    readonly driver: Driver,
    private readonly env: Record<string, string>,
    private readonly scratch: BenchScratch,
  ) {}

  static async create(driver: Driver, scratch: BenchScratch): Promise<Installation> {
    if (driver === 'postgres') {
      const env = await scratch.createDatabase();
      const inst = new Installation(driver, env, scratch);
      inst.db = await openPostgres(scratch.databaseUrl);
      await inst.start();
      return inst;
    }
    const path = join(scratch.sqliteDir, 'scale.sqlite');
    const env = {
      SQLITE_PATH: path,
      REDIS_URL,
      REDIS_KEY_PREFIX: `${scratch.keyPrefix}_sqlite`,
      LOG_LEVEL,
      ...SHARED_KEYS_ENV,
      ...RATE_LIMITS_OFF,
    };
    // The app makes the file and runs its migrations before the bench opens it.
    const inst = new Installation(driver, env, scratch);
    await inst.start();
    inst.db = openSqlite(path);
    return inst;
  }

  /** The first business: a tenth of every growth, so its list grows with the installation. */
  get big(): Seat {
    return this.seats[0];
  }

  async tokenCount(): Promise<number> {
    const rows = await this.db.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM api_tokens');
    return Number(rows[0].n);
  }

  /** Grows the installation to `target` tokens, and starts A and B on it. */
  async grow(target: number): Promise<void> {
    if (!this.running) await this.start();
    await this.addBusinesses(businessesFor(target) - this.seats.length);
    await this.stop();
    await this.reloadSeats();
    const delta = target - (await this.tokenCount());
    const bigShare = Math.round(delta * BIG_SHARE);
    const rest = this.seats.length - 1;
    const quotas = this.seats.map((_, i) =>
      i === 0
        ? bigShare
        : Math.floor((delta - bigShare) / rest) + (i <= (delta - bigShare) % rest ? 1 : 0),
    );
    if (this.big.nextIndex + bigShare > LIST_CAPACITY) {
      throw new Error('the first business would outgrow its status list: lower BIG_SHARE');
    }
    log(`${this.driver}: seeding ${delta} tokens and their audit events`);
    const seconds = await seedTokens(this.db, this.seats, quotas, KEEP_EVERY, (t) =>
      this.kept.push(t),
    );
    log(`${this.driver}: seeded in ${seconds.toFixed(1)} s (${Math.round(delta / seconds)}/s)`);
    await this.db.settle();
    await this.start();
    await this.waitForTrees();
    await this.checkChain(this.seats[this.seats.length - 1]);
  }

  /** The seeded rows are the app's own: its verify finds the business's chain whole. */
  private async checkChain(seat: Seat): Promise<void> {
    const owner = this.owners.get(seat.businessId)!;
    const res = await new LatchkeyClient(this.a.url).request<{ data: { valid: boolean } }>(
      'GET',
      '/api/v1/audit-events/verify',
      { headers: scoped(owner, seat.businessId) },
    );
    if (res.status !== 200 || !res.body.data.valid) {
      throw new Error(`the seeded chain does not verify: ${JSON.stringify(res.body)}`);
    }
  }

  /** `n` kept tokens never used before, drawn at random from the whole installation. */
  draw(n: number): KeptToken[] {
    if (n > this.kept.length) throw new Error(`only ${this.kept.length} unused tokens are kept`);
    const out: KeptToken[] = [];
    for (let i = 0; i < n; i++) {
      const j = Math.floor(Math.random() * this.kept.length);
      out.push(this.kept[j]);
      this.kept[j] = this.kept[this.kept.length - 1];
      this.kept.pop();
    }
    return out;
  }

  private async addBusinesses(count: number): Promise<void> {
    if (count <= 0) return;
    log(`${this.driver}: creating ${count} businesses through A`);
    const client = new LatchkeyClient(this.a.url);
    const made: string[] = [];
    let left = count;
    const worker = async () => {
      while (left > 0) {
        left--;
        const owner = await client.createBusiness(this.platformToken, 'scale');
        this.owners.set(owner.businessId, owner.ownerToken);
        made.push(owner.businessId);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const seats = await loadSeats(this.db, new Set(made));
    if (seats.length !== made.length)
      throw new Error(`found ${seats.length} of ${made.length} new businesses`);
    // The first business made stays first: its list is the one paged at every size.
    this.seats.push(...seats);
  }

  /** The heads as the database has them: the measurements' revocations moved them on. */
  private async reloadSeats(): Promise<void> {
    const fresh = new Map(
      (await loadSeats(this.db, new Set(this.seats.map((s) => s.businessId)))).map((s) => [
        s.businessId,
        s,
      ]),
    );
    this.seats.splice(0, this.seats.length, ...this.seats.map((s) => fresh.get(s.businessId)!));
  }

  async start(): Promise<void> {
    if (this.platformToken) {
      // The database is made: A and B may start side by side.
      [this.a, this.b] = await Promise.all([
        this.scratch.start(`${this.driver}-A`, this.env),
        this.scratch.start(`${this.driver}-B`, this.env),
      ]);
    } else {
      // The first start runs the migrations and makes the platform admin: A alone, then B.
      this.a = await this.scratch.start(`${this.driver}-A`, this.env);
      this.platformToken = this.a.platformToken ?? '';
      if (!this.platformToken) throw new Error('A did not print the platform admin token');
      this.b = await this.scratch.start(`${this.driver}-B`, this.env);
    }
    this.running = true;
  }

  async stop(): Promise<void> {
    await Promise.all([this.a.stop(), this.b.stop()]);
    this.running = false;
  }

  /** The trees are seeded in step with the chains; a lag here would be the checkpointer's work. */
  private async waitForTrees(): Promise<void> {
    const began = Date.now();
    let told = began;
    for (;;) {
      const [row] = await this.db.all<{ behind: number | string | null }>(
        'SELECT SUM(seq - tree_size) AS behind FROM audit_chain_heads WHERE tree_size < seq',
      );
      const behind = Number(row.behind ?? 0);
      if (behind === 0) break;
      if (Date.now() - told > 10_000) {
        log(`${this.driver}: audit trees ${behind} events behind`);
        told = Date.now();
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    log(`${this.driver}: audit trees grown in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  }

  async close(): Promise<void> {
    if (this.running) await this.stop();
    await this.db.close();
  }
}
