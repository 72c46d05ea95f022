import { Transform } from 'class-transformer';
import { IsBoolean } from 'class-validator';
import { toBool } from '../../env-transforms';

/**
 * DPoP (RFC 9449): whether the proofs the API checks must carry a nonce it issued. Composed into
 * `AppConfig`, which validates it at boot.
 */
export class DpopConfig {
  /**
   * Every DPoP proof must carry a `nonce` this installation issued within the last one to two
   * minutes (RFC 9449 §8): a proof cannot be made ahead of time, so a key stolen for a moment
   * yields no proofs that outlive the theft. Off, a proof's `nonce` is ignored.
   */
  @Transform(toBool)
  @IsBoolean()
  DPOP_NONCE_REQUIRED = false;
}
