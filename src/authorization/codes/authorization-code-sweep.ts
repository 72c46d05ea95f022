import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AloneTurns } from '../../database/units/alone-turns';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { AuthorizationCodesRepository } from './store/authorization-codes.repository';

/**
 * How long a code's row is kept once it has expired: while it is, a redeemed code presented
 * again is known as a replay (and its grant revoked) rather than as an unknown code.
 */
export const CODE_KEPT_AFTER_EXPIRY_MS = 3_600_000;
/** How often an instance sweeps. */
const SWEEP_EVERY_MS = 300_000;
/** The advisory key that makes one instance sweep at a time. */
const SWEEP_LOCK = 'authorization-codes';

/**
 * Deletes the codes that expired over an hour ago, redeemed or not, in turns across instances
 * (`AloneTurns`, as the token sweeps run). A code is useless past its 60 s; its row is only kept
 * to recognise a replay.
 */
@Injectable()
export class AuthorizationCodeSweep implements OnModuleDestroy {
  private readonly turns: AloneTurns<number>;

  constructor(
    dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly codes: AuthorizationCodesRepository,
  ) {
    const logger = new Logger(AuthorizationCodeSweep.name);
    const sweep = (now: Date) => this.sweep(now);
    this.turns = new AloneTurns(dataSource, SWEEP_LOCK, 0, sweep, logger, 'authorization codes');
  }

  start(): void {
    this.turns.start(SWEEP_EVERY_MS);
  }

  onModuleDestroy(): Promise<void> {
    return this.turns.stop();
  }

  /** One turn, after the one under way; answers how many codes it deleted. */
  runTurn(now = new Date()): Promise<number> {
    return this.turns.run(now);
  }

  private sweep(now: Date): Promise<number> {
    const before = new Date(now.getTime() - CODE_KEPT_AFTER_EXPIRY_MS);
    return this.uow.run((tx) => this.codes.sweepAnyBusiness(before, tx));
  }
}
