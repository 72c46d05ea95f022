import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { Database } from '../../database/connection/read-routing';
import { SYSTEM_AUTHOR } from '../../database/units/domain-event';
import { AloneTurns } from '../../database/units/alone-turns';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { BusinessPolicyService } from '../../governance/business-policy.service';
import { ApiToken } from '../store/entities/api-token.entity';
import { GovernedTokensRepository } from '../store/repositories/governed-tokens.repository';
import { TokenExpiryNoticesRepository } from '../store/repositories/token-expiry-notices.repository';
import { TokenRevocationService } from '../lifecycle/revocation/token-revocation.service';
import { TokenInactiveSoonEvent } from '../token-sightings.events';
import { tokenRef } from '../tokens.events';

const DAY_MS = 86_400_000;
/** The notice goes out this many days before a token is revoked for disuse. */
export const INACTIVITY_NOTICE_DAYS = 7;
/** Tokens one turn revokes, and tells of, per business, so one turn stays short. */
const BATCH = 500;
/** The advisory key that makes one instance sweep at a time. */
const SWEEP_LOCK = 'token-inactivity';
/** The revocation reason, as the token view shows it. */
export const INACTIVE_REASON = 'inactive';

/** What a turn did. */
export interface Swept {
  revoked: number;
  told: number;
}

/**
 * Revokes the tokens a business's policy finds unused for `inactivity_revoke_days` (counted from
 * the last use, or the creation of a token never used), with reason `inactive`, its
 * `token.revoked` event and so its webhook; and tells of each, `token.inactive_soon`, 7 days
 * before. Once across instances, as the expiry notices are (`TokenExpiryNotices`): a turn runs
 * under a PostgreSQL advisory lock taken with `try`, a revocation is first-wins (a conditional
 * UPDATE, whose loser emits nothing), and a notice is a row inserted with its event only if
 * absent, keyed by the spell of disuse, so a token used again and then left again is told again.
 * A paused token counts as unused: pausing it does not keep it forever.
 */
@Injectable()
export class TokenInactivitySweep implements OnModuleDestroy {
  private readonly turns: AloneTurns<Swept>;

  constructor(
    private readonly config: AppConfig,
    dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly policy: BusinessPolicyService,
    private readonly tokens: GovernedTokensRepository,
    private readonly notices: TokenExpiryNoticesRepository,
    private readonly revocation: TokenRevocationService,
    private readonly database: Database,
  ) {
    const logger = new Logger(TokenInactivitySweep.name);
    const sweep = (now: Date) => this.sweep(now);
    const none = { revoked: 0, told: 0 };
    this.turns = new AloneTurns(dataSource, SWEEP_LOCK, none, sweep, logger, 'token inactivity');
  }

  /** Starts the turns, as often as the expiry notices' (TOKEN_EXPIRY_NOTICE_EVERY_SECONDS). */
  start(): void {
    this.turns.start(this.config.TOKEN_EXPIRY_NOTICE_EVERY_SECONDS * 1000);
  }

  onModuleDestroy(): Promise<void> {
    return this.turns.stop();
  }

  /** One turn, after the one under way; answers what it revoked and told of. */
  runTurn(now = new Date()): Promise<Swept> {
    return this.turns.run(now);
  }

  private async sweep(now: Date): Promise<Swept> {
    const done = { revoked: 0, told: 0 };
    for (const { businessId, days } of await this.policy.revokingInactiveAnyBusiness()) {
      const cutoff = new Date(now.getTime() - days * DAY_MS);
      const idle = { before: cutoff, after: null, unnoticed: false };
      for (const token of await this.tokens.findIdle(
        businessId,
        idle,
        now,
        BATCH,
        this.database.primary,
      )) {
        // One short transaction a token, as the notices: each appends to the business's chain.
        const won = await this.uow.run((tx) =>
          this.revocation.revokeToken(
            SYSTEM_AUTHOR,
            token,
            INACTIVE_REASON,
            'inactive',
            new Date(),
            tx,
          ),
        );
        if (won) done.revoked++;
      }
      const soon = {
        before: new Date(cutoff.getTime() + INACTIVITY_NOTICE_DAYS * DAY_MS),
        after: cutoff,
        unnoticed: true,
      };
      for (const token of await this.tokens.findIdle(
        businessId,
        soon,
        now,
        BATCH,
        this.database.primary,
      )) {
        if (await this.tell(token, days, now)) done.told++;
      }
    }
    return done;
  }

  private tell(token: ApiToken, days: number, now: Date): Promise<boolean> {
    const since = token.lastUsedAt ?? token.createdAt;
    // One notice per spell of disuse: the key names when it began (at most 16 characters).
    const key = `idle:${since.getTime().toString(36)}`;
    return this.uow.run(async (tx) => {
      if (!(await this.notices.claim(token.id, key, now, tx))) return false;
      const revokesAt = new Date(since.getTime() + days * DAY_MS).toISOString();
      await tx.publish(
        new TokenInactiveSoonEvent(SYSTEM_AUTHOR, tokenRef(token), since.toISOString(), revokesAt),
      );
      return true;
    });
  }
}
