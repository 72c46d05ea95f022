import { Injectable, OnModuleInit } from '@nestjs/common';
import { importJWK, type KeyLike, SignJWT } from 'jose';
import { AppConfig } from '../config/app-config';
import {
  currentKey,
  JWT_ALG,
  JwtSigningKey,
  listedKeys,
  PublicJwk,
  publicJwk,
} from './jwt-key-set';
import { jwtKeySourceOf } from './jwt-key-source';

/** What `sign` takes of the protected header: the `typ` at least; `alg` and `kid` are its own. */
export type JwtHeader = { typ: string } & Record<string, unknown>;

/**
 * Signs the JWTs the installation publishes (token status lists, security event tokens) with the
 * current key of its set (ES256), and answers the JWKS that verifies them. The set is read once,
 * at start (JWT_SIGNING_KEYS, JWT_SIGNING_KEYS_FILE or the keys folder): a rotation reaches an
 * instance when it restarts, which is why a new key is published ahead of its first signature.
 */
@Injectable()
export class JwtSigner implements OnModuleInit {
  /** The clock that chooses the current key and the listed ones; a test moves it. */
  clock: () => number = Date.now;

  private readonly keys: JwtSigningKey[];
  private readonly retiredListedMs: number;
  private imported?: Promise<Map<string, KeyLike>>;

  constructor(config: AppConfig) {
    const source = jwtKeySourceOf(config);
    // Off only where no server starts (the start refuses it): a CLI run, which signs nothing.
    this.keys = source.kind === 'off' ? [] : source.keys;
    this.retiredListedMs = config.JWT_SIGNING_KEY_RETIRED_LISTED_HOURS * 3_600_000;
  }

  /** Imports the keys as the app starts, so a key jose refuses fails the start, not a request. */
  async onModuleInit(): Promise<void> {
    await this.importedKeys();
  }

  /** A compact JWS of `payload`, ES256, with the given header and the current key's `kid`. */
  async sign(header: JwtHeader, payload: Record<string, unknown>): Promise<string> {
    if (this.keys.length === 0) throw new Error('no JWT signing keys: run keys init');
    const key = currentKey(this.keys, this.clock());
    const keyLike = (await this.importedKeys()).get(key.kid)!;
    return new SignJWT(payload)
      .setProtectedHeader({ ...header, alg: JWT_ALG, kid: key.kid })
      .sign(keyLike);
  }

  /** The JWKS (RFC 7517): the public half of every key a verifier may meet now or soon. */
  jwks(): { keys: PublicJwk[] } {
    return { keys: listedKeys(this.keys, this.clock(), this.retiredListedMs).map(publicJwk) };
  }

  /** Each key imported once, by kid; jose's import is asynchronous, the constructor is not. */
  private importedKeys(): Promise<Map<string, KeyLike>> {
    this.imported ??= Promise.all(
      this.keys.map(async ({ kid, kty, crv, x, y, d }) => {
        const keyLike = (await importJWK({ kty, crv, x, y, d }, JWT_ALG)) as KeyLike;
        return [kid, keyLike] as const;
      }),
    ).then((entries) => new Map(entries));
    return this.imported;
  }
}
