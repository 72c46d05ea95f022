import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { Database } from '../../database/connection/read-routing';
import { SYSTEM_AUTHOR } from '../../database/units/domain-event';
import { AloneTurns } from '../../database/units/alone-turns';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { ApiToken } from '../store/entities/api-token.entity';
import {
  NoticeWindow,
  TokenExpiryNoticesRepository,
} from '../store/repositories/token-expiry-notices.repository';
import { TokenExpiredEvent, TokenExpiringEvent } from '../token-sightings.events';
import { tokenRef } from '../tokens.events';

const DAY_MS = 86_400_000;
/** Tokens one turn tells of per notice, so one turn stays short. */
const BATCH = 500;
/**
 * A token that expired longer ago than this is not told of: an installation that turns notices
 * on (or a server that was down for weeks) does not announce every token that ever expired.
 */
const EXPIRED_LOOKBACK_MS = 7 * DAY_MS;

/** The advisory key that makes one instance look at a time. */
const NOTICES_LOCK = 'token-expiry-notices';

/** One notice: which tokens it is due for at `now`, and the event that tells of one. */
interface Notice extends NoticeWindow {
  event: (token: ApiToken) => TokenExpiringEvent | TokenExpiredEvent;
}

/**
 * Tells of tokens about to expire (`token.expiring`, at each of TOKEN_EXPIRY_NOTICE_DAYS) and of
 * tokens that expired (`token.expired`), as audit events, so webhooks go with them. Each notice
 * is a row (`token_expiry_notices`) inserted with its event only if absent, so however many
 * instances look it is sent once; a turn takes a PostgreSQL advisory lock with `try`, so the
 * others skip rather than race for the same inserts. A token that entered two windows between
 * turns gets only the nearest notice; a rotated token gets none. A notice of `d` days goes only
 * to tokens that live longer than `d` days: a 7-day token is not told, a minute after it was
 * made, that it expires within 7 days (docs/configuration.md).
 */
@Injectable()
export class TokenExpiryNotices implements OnModuleDestroy {
  private readonly turns: AloneTurns<number>;

  constructor(
    private readonly config: AppConfig,
    dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly notices: TokenExpiryNoticesRepository,
    private readonly database: Database,
  ) {
    const logger = new Logger(TokenExpiryNotices.name);
    const tell = (now: Date) => this.tell(now);
    this.turns = new AloneTurns(dataSource, NOTICES_LOCK, 0, tell, logger, 'token expiry notice');
  }

  /** Starts the turns: the server calls it once it serves. */
  start(): void {
    this.turns.start(this.config.TOKEN_EXPIRY_NOTICE_EVERY_SECONDS * 1000);
  }

  onModuleDestroy(): Promise<void> {
    return this.turns.stop();
  }

  /** One turn, after the one under way; answers how many notices it sent. */
  runTurn(now = new Date()): Promise<number> {
    return this.turns.run(now);
  }

  private async tell(now: Date): Promise<number> {
    let sent = 0;
    for (const notice of this.noticesAt(now)) {
      const due = await this.notices.findDueAnyBusiness(notice, BATCH, this.database.primary);
      // One short transaction a notice: each appends to its business's chain under the chain's
      // head lock, which a batch would hold across hundreds of appends while revocations wait.
      for (const token of due) {
        const told = await this.uow.run(async (tx) => {
          if (!(await this.notices.claim(token.id, notice.key, now, tx))) return false;
          await tx.publish(notice.event(token));
          return true;
        });
        if (told) sent++;
      }
    }
    return sent;
  }

  /** The notices, nearest first: each window ends where the next nearer one begins. */
  private noticesAt(now: Date): Notice[] {
    const at = (ms: number) => new Date(now.getTime() + ms);
    const days = this.config.expiryNoticeDays;
    const expiring = days.map((d, i): Notice => ({
      key: `${d}d`,
      after: at((days[i + 1] ?? 0) * DAY_MS),
      until: at(d * DAY_MS),
      lifeOverDays: d,
      event: (t) =>
        new TokenExpiringEvent(SYSTEM_AUTHOR, tokenRef(t), t.expiresAt!.toISOString(), d),
    }));
    const expired: Notice = {
      key: 'expired',
      after: at(-EXPIRED_LOOKBACK_MS),
      until: now,
      lifeOverDays: null,
      event: (t) => new TokenExpiredEvent(SYSTEM_AUTHOR, tokenRef(t), t.expiresAt!.toISOString()),
    };
    return [expired, ...expiring.reverse()];
  }
}
