import { generateSigner } from '../../src/audit/checkpoints/signed-note';
import { formatJwtKeySet, newJwtSigningKey } from '../../src/signing/jwt-key-set';

/**
 * The keys a start on PostgreSQL needs (SQLite makes its own in its data folder), for the
 * instances that tests and benchmarks start: made once per process, so that every instance it
 * starts on one database signs and seals with the same keys, as a deployment's must.
 */
export const SHARED_KEYS_ENV = {
  AUDIT_SIGNING_KEY: generateSigner('latchkey.test').signerKey,
  WEBHOOK_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
  JWT_SIGNING_KEYS: formatJwtKeySet([newJwtSigningKey(Date.now())]),
} as const;
