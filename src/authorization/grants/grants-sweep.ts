import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AloneTurns } from '../../database/units/alone-turns';
import { UnitOfWork } from '../../database/units/unit-of-work';
import { GrantsRepository } from './store/grants.repository';

/** How often an instance sweeps. */
const SWEEP_EVERY_MS = 3_600_000;
/** A grant is never swept in its first hour: its first refresh token is being written. */
const GRANT_KEPT_MS = 3_600_000;
/** The advisory key that makes one instance sweep at a time. */
const SWEEP_LOCK = 'oauth-grants';

/**
 * Deletes expired refresh tokens, and the grants none is left to continue, in turns across
 * instances (`AloneTurns`). A consent outlives its grants: it is the person's to withdraw.
 */
@Injectable()
export class GrantsSweep implements OnModuleDestroy {
  private readonly turns: AloneTurns<number>;

  constructor(
    dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly grants: GrantsRepository,
  ) {
    const logger = new Logger(GrantsSweep.name);
    const sweep = (now: Date) => this.sweep(now);
    this.turns = new AloneTurns(dataSource, SWEEP_LOCK, 0, sweep, logger, 'oauth grants');
  }

  start(): void {
    this.turns.start(SWEEP_EVERY_MS);
  }

  onModuleDestroy(): Promise<void> {
    return this.turns.stop();
  }

  /** One turn, after the one under way; answers how many rows it deleted. */
  runTurn(now = new Date()): Promise<number> {
    return this.turns.run(now);
  }

  private sweep(now: Date): Promise<number> {
    const startedBefore = new Date(now.getTime() - GRANT_KEPT_MS);
    return this.uow.run((tx) => this.grants.sweepAnyBusiness(now, startedBefore, tx));
  }
}
