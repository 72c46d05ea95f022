import { Injectable } from '@nestjs/common';
import { hkdfSync } from 'node:crypto';
import { SharedKeys } from '../auth/ports';
import { AppConfig } from '../config/app-config';
import { currentKey, JwtSigningKey } from './jwt-key-set';
import { jwtKeySourceOf } from './jwt-key-source';

/**
 * Auth's shared keys (`SharedKeys`), derived by HKDF-SHA-256 from the private part of the JWT
 * signing key that signs at the instant asked about. The JWT keys, because they are the one
 * installation key that every server start requires and no setting turns off (audit and webhook
 * keys may be off). Chosen by instant, not read at start, so a rotation (published ahead of its
 * `active_from`) moves every instance to the new key at the same moment. A derived key reveals
 * nothing of the signing key, and one purpose's key nothing of another's.
 */
@Injectable()
export class JwtDerivedKeys extends SharedKeys {
  private readonly keys: readonly JwtSigningKey[];

  constructor(config: AppConfig) {
    super();
    const source = jwtKeySourceOf(config);
    this.keys = source.kind === 'off' ? [] : source.keys;
  }

  derive(purpose: string, atMs: number): Buffer {
    // Off only where no server starts (the start refuses it): a CLI run, which derives nothing.
    if (this.keys.length === 0) throw new Error('no JWT signing keys: run keys init');
    const key = currentKey(this.keys, atMs);
    const secret = Buffer.from(key.d, 'base64url');
    return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), purpose, 32));
  }
}
