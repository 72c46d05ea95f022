import type { RequestOrigin } from '../database/units/domain-event';
import type { BusinessLimits } from '../throttle/shared-limits';
import type { Actor, BusinessRecord, CallerToken } from './request-context';
import type { Role } from './roles';

/**
 * What auth needs from the features above it, stated here as abstract classes (Nest injection
 * tokens) so that auth imports none of them: tokens provides the verifier, tenancy the business
 * lookup, signing the shared keys. The direction of imports stays one way (docs/architecture.md).
 */

export type { BusinessRecord };

/** Who a valid bearer token speaks for. */
export interface VerifiedPrincipal {
  actor: Actor;
  token: CallerToken;
  /** The identity's role in the token's business; null for a platform token. */
  role: Role | null;
}

/**
 * What a request showed of a key (RFC 9449, DPoP), as the guard found its `DPoP` header: no
 * proof (null), a proof that holds (`key`, the thumbprint of the key that signed it; `bound`
 * when it came with `Authorization: DPoP` and so proves the token too, its `ath` checked), or a
 * proof that does not hold (`invalid`: `nonce` when it lacks a nonce the server issued and is
 * otherwise good, RFC 9449 §8; `proof` for every other fault).
 *
 * A proof that holds is taken once: the verifier calls `spend` once the token and the key match,
 * before anything is counted for the use (a use of a limited token), and refuses the request
 * when it answers false (the proof was seen before).
 */
export type ProofShown = null | HeldProof | { invalid: 'proof' | 'nonce' };

/** A DPoP proof that holds, not yet taken. */
export interface HeldProof {
  key: string;
  bound: boolean;
  /** Claims the proof's `jti`: true the first time, false for a replay; rejects when unsure. */
  spend(): Promise<boolean>;
}

/**
 * Turns a presented secret into a principal, or throws the 401 that says why not. `resource` is
 * the resource (a canonical RFC 8707 URI) the request is served at: the API's own
 * (`PUBLIC_BASE_URL`), or the one a trusted gateway names; null when none is known, where no
 * token bound to audiences is admitted. A verifier may
 * answer at once (a cache hit: the principal, or the refusal thrown, with no promise), and
 * answers with a promise only where it must wait (a read, a use counted): the hot path's guards
 * take the answer as it comes (docs/performance.md).
 */
export abstract class PrincipalVerifier {
  abstract verify(
    secret: string,
    origin: RequestOrigin,
    proof: ProofShown,
    resource: string | null,
  ): VerifiedPrincipal | Promise<VerifiedPrincipal>;
}

/** Finds a business by id, for the business-scope guard (a platform token naming one). */
export abstract class BusinessDirectory {
  abstract findBusiness(businessId: string): Promise<BusinessRecord | null>;
}

/**
 * Secret key material every instance of the installation shares, which auth turns into keys of
 * its own (DPoP nonces). The app wires the signing feature's JWT key set, which every server start
 * requires, so two instances with the same keys derive the same key.
 */
export abstract class SharedKeys {
  /**
   * A 32-byte key for `purpose` (HKDF's info: one purpose, one key), from the key material in
   * force at `atMs`: the same on every instance for the same instant.
   */
  abstract derive(purpose: string, atMs: number): Buffer;
}

/**
 * A business's shared limits (its named rate limits), which every call of its tokens counts
 * against: governance's `LimitBook`, answered from memory, with a promise only where it reads.
 */
export abstract class SharedLimitBook {
  abstract limitsOf(businessId: string): BusinessLimits | Promise<BusinessLimits>;
}

/**
 * Spends a gateway check's cost from its business's credit balances (the identity's, then the
 * business's): governance's `CreditMeter`. False when no balance applies, true when it is paid at
 * once, else the wait; throws 429 CREDITS_EXHAUSTED when a balance cannot pay.
 */
export abstract class CreditSpender {
  abstract spend(businessId: string, identityId: string, cost: number): boolean | Promise<boolean>;
}
