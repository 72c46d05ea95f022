import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { toInt, toBool } from '../../env-transforms';

/**
 * The audit log's signed checkpoints: whether they are signed, with which key, and how often.
 * Composed into `AppConfig`, which validates it at boot.
 */
export class AuditConfig {
  /**
   * Off, no audit checkpoint is signed and no signing key is needed (the hash chain is kept all
   * the same); start says so at warn. On by default: only an operator turns it off.
   */
  @Transform(toBool)
  @IsBoolean()
  AUDIT_CHECKPOINTS_ENABLED = true;

  /**
   * The audit log's signer key, in the signed-note form `PRIVATE+KEY+<name>+<id>+<key>`
   * (`cli audit keygen` makes one). A secret: it is never logged, stored or echoed.
   */
  @IsOptional()
  @IsString()
  @MaxLength(512)
  AUDIT_SIGNING_KEY?: string;

  /** A file that holds the signer key instead (a mounted secret). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  AUDIT_SIGNING_KEY_FILE?: string;

  /** Sign a checkpoint once a chain has this many events past its last one... */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  AUDIT_CHECKPOINT_EVERY_EVENTS = 1000;

  /** ...or once its last checkpoint is this many seconds old, whichever comes first. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  AUDIT_CHECKPOINT_EVERY_SECONDS = 60;

  /**
   * A chain's first checkpoint is signed once its first event is this many seconds old, so that a
   * new business (or a fresh install) has one to keep almost at once.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(86_400)
  AUDIT_CHECKPOINT_FIRST_SECONDS = 1;
}
