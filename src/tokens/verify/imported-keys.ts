import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { loggableError } from '../../common/errors/safe-error';
import { Invalidations } from '../../common/invalidations';
import { Database } from '../../database/connection/read-routing';
import { DomainEvents } from '../../database/units/domain-events';
import { TokensRepository } from '../store/repositories/tokens.repository';
import { isImportedKeyShape } from '../token-secret';
import { TokensImportedEvent } from '../tokens.events';

/**
 * While nothing told this instance of an import, it asks again at most this often, and only when
 * a string without Latchkey's shape is presented: the bound on how long a lost bus message can
 * keep another instance's import from verifying here.
 */
const RECHECK_MS = 30_000;

/**
 * Whether this installation holds keys brought from elsewhere (`origin: import`). Until it does,
 * a string that is not a well-formed Latchkey token (another shape, or a bad checksum) is refused
 * before any lookup; once it does, one of at most 256 printable characters is looked up whatever
 * its shape, as another service's key may look like Latchkey's (the negative cache bounds what
 * garbage then costs). A well-formed Latchkey token never asks here.
 *
 * Learnt at the first need (not at start, so the CLI pays nothing), at once on this instance's own
 * import (after commit, before its answer), from the bus on every other instance, and every
 * RECHECK_MS at most should a message be lost. Never unlearnt: an imported key stays a row,
 * revoked or not, so that its holder is told which.
 */
@Injectable()
export class ImportedKeys implements OnModuleDestroy {
  private readonly logger = new Logger(ImportedKeys.name);
  private present = false;
  private checkedAt = 0;
  private checking: Promise<boolean> | null = null;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly tokens: TokensRepository,
    private readonly database: Database,
    invalidations: Invalidations,
    events: DomainEvents,
  ) {
    events.subscribe([TokensImportedEvent], () => {
      this.present = true;
    });
    this.unsubscribe = invalidations.subscribe((message) => {
      if (!this.present && message.type === 'token.changed') void this.refresh();
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  /**
   * Whether `candidate`, which lacks Latchkey's shape, is hashed and looked up: false at once for
   * what no imported key could be, a promise only the first time the answer is not yet known.
   */
  mayHold(candidate: string): boolean | Promise<boolean> {
    if (!isImportedKeyShape(candidate)) return false;
    if (this.present) return true;
    if (this.checkedAt === 0) return this.refresh();
    if (Date.now() - this.checkedAt > RECHECK_MS) void this.refresh();
    return false;
  }

  /** Asks the database, one question at a time; a failure keeps what was known (and is logged). */
  private refresh(): Promise<boolean> {
    this.checking ??= this.tokens
      .anyImportedAnyBusiness(this.database.primary)
      .then(
        (any) => {
          this.present ||= any;
          this.checkedAt = Date.now();
          return this.present;
        },
        (e: unknown) => {
          this.logger.warn({ err: loggableError(e) }, 'imported keys not checked');
          return this.present;
        },
      )
      .finally(() => {
        this.checking = null;
      });
    return this.checking;
  }
}
