import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { loggableError } from '../common/safe-error';
import { AppConfig } from '../config/app-config';
import { SYSTEM_AUTHOR } from '../database/domain-event';
import { dbTime } from '../database/db-time';
import { UnitOfWork } from '../database/unit-of-work';
import { ApiToken } from './api-token.entity';
import { TokenExpiredEvent, TokenExpiringEvent, tokenRef } from './tokens.events';

const DAY_MS = 86_400_000;
/** Tokens one turn tells of per notice, so one turn stays short. */
const BATCH = 500;
/**
 * A token that expired longer ago than this is not told of: an installation that turns notices
 * on (or a server that was down for weeks) does not announce every token that ever expired.
 */
const EXPIRED_LOOKBACK_MS = 7 * DAY_MS;

/** One notice: which tokens it is due for at `now`, and the event that tells of one. */
interface Notice {
  key: string;
  /** Due for active tokens expiring in (after, until]. */
  after: Date;
  until: Date;
  event: (token: ApiToken) => TokenExpiringEvent | TokenExpiredEvent;
}

/**
 * Tells of tokens about to expire (`token.expiring`, at each of TOKEN_EXPIRY_NOTICE_DAYS) and of
 * tokens that expired (`token.expired`). Each is an audit event, so a webhook goes with it. A
 * notice is one row per token (`token_expiry_notices`), inserted with the event in one
 * transaction and only if absent: however many instances look, each notice is sent once. A token
 * that enters two windows between turns (made with 2 days left, or a server down for a week) gets
 * only the nearest notice, not a burst of them. A token that was rotated is never told of.
 */
@Injectable()
export class TokenExpiryNotices implements OnModuleDestroy {
  private readonly logger = new Logger(TokenExpiryNotices.name);
  private timer: NodeJS.Timeout | null = null;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
  ) {}

  /** Starts the turns: the server calls it once it serves. */
  start(): void {
    if (this.timer) return;
    const everyMs = this.config.TOKEN_EXPIRY_NOTICE_EVERY_SECONDS * 1000;
    this.timer = setInterval(() => void this.runTurn(), everyMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.turn;
  }

  /** One turn, after the one under way; answers how many notices it sent. */
  runTurn(now = new Date()): Promise<number> {
    const next = this.turn.then(() => this.turnOnce(now));
    this.turn = next.catch((e: unknown) =>
      this.logger.warn({ err: loggableError(e) }, 'token expiry notice turn failed'),
    );
    return next;
  }

  private async turnOnce(now: Date): Promise<number> {
    let sent = 0;
    for (const notice of this.notices(now)) {
      const due = await this.due(notice);
      // One short transaction a notice: each appends to its business's chain under the chain's
      // head lock, which a batch would hold across hundreds of appends while revocations wait.
      for (const token of due) {
        const told = await this.uow.run(async (tx) => {
          if (!(await this.claim(tx.manager, token.id, notice.key, now))) return false;
          await tx.publish(notice.event(token));
          return true;
        });
        if (told) sent++;
      }
    }
    return sent;
  }

  /** The notices, nearest first: each window ends where the next nearer one begins. */
  private notices(now: Date): Notice[] {
    const at = (ms: number) => new Date(now.getTime() + ms);
    const days = this.config.expiryNoticeDays;
    const expiring = days.map((d, i): Notice => ({
      key: `${d}d`,
      after: at((days[i + 1] ?? 0) * DAY_MS),
      until: at(d * DAY_MS),
      event: (t) =>
        new TokenExpiringEvent(SYSTEM_AUTHOR, tokenRef(t), t.expiresAt!.toISOString(), d),
    }));
    const expired: Notice = {
      key: 'expired',
      after: at(-EXPIRED_LOOKBACK_MS),
      until: now,
      event: (t) => new TokenExpiredEvent(SYSTEM_AUTHOR, tokenRef(t), t.expiresAt!.toISOString()),
    };
    return [expired, ...expiring.reverse()];
  }

  /**
   * Unrevoked tokens expiring within the notice's window that have not had it, across every
   * business: a job of the installation's, not of one tenant. A token rotated with a grace period
   * is left out: the rotation set its expiry, and its successor (`rotated_to_id`, set in the
   * rotation's transaction) carries on, so "your token expires" would be a false alarm.
   */
  private due(notice: Notice): Promise<ApiToken[]> {
    return this.dataSource.manager
      .createQueryBuilder(ApiToken, 't')
      .where('t.revokedAt IS NULL')
      .andWhere('t.rotatedToId IS NULL')
      .andWhere('t.expiresAt > :after AND t.expiresAt <= :until', {
        after: notice.after,
        until: notice.until,
      })
      .andWhere(
        'NOT EXISTS (SELECT 1 FROM token_expiry_notices n WHERE n.token_id = t.id AND n.notice = :key)',
        { key: notice.key },
      )
      .orderBy('t.expiresAt', 'ASC')
      .limit(BATCH)
      .getMany();
  }

  /** Inserts the notice unless it is there: true for the one insert that wins. */
  private async claim(em: EntityManager, tokenId: string, key: string, now: Date) {
    const pg = em.connection.options.type === 'postgres';
    const rows: unknown[] = await em.query(
      pg
        ? 'INSERT INTO token_expiry_notices (token_id, notice, sent_at) VALUES ($1, $2, $3) ' +
            'ON CONFLICT DO NOTHING RETURNING token_id'
        : 'INSERT INTO token_expiry_notices (token_id, notice, sent_at) VALUES (?, ?, ?) ' +
            'ON CONFLICT DO NOTHING RETURNING token_id',
      [tokenId, key, dbTime(em, now)],
    );
    return rows.length > 0;
  }
}
