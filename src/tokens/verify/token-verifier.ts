import { Injectable } from '@nestjs/common';
import { createHash, hash as oneShotHash } from 'node:crypto';
import { AuthError } from '../../auth/auth-error';
import { PrincipalVerifier, type ProofShown, VerifiedPrincipal } from '../../auth/ports';
import { notePresented } from '../../common/http/request-keys';
import { Database } from '../../database/connection/read-routing';
import type { EventActor, RequestOrigin } from '../../database/units/domain-event';
import { Metrics } from '../../metrics/metrics';
import { tokenLife } from '../token-status';
import { LastUsedWriter } from './last-used-writer';
import { RejectedUseRecorder } from './rejected-use-recorder';
import { TokensRepository } from '../store/repositories/tokens.repository';
import { TokenUsageRecorder } from '../usage/token-usage-recorder';
import { isWellFormedSecret } from '../token-secret';
import { TokenSnapshot, VerifierCache } from './verifier-cache';
import { UsesMeter } from '../usage/uses/uses-meter';
import { StatusListReferences } from '../status/status-list-references';
import { ImportedKeys } from './imported-keys';
import { snapshotOf } from './verifier-snapshot';

// Unknown, malformed and orphaned tokens get the same answer, so none is told apart.
const invalidToken = () => AuthError.bearer('INVALID_TOKEN');

/**
 * SHA-256, hex, as `hashSecret` stores it. `crypto.hash` (Node 20.12+) skips the Hash object
 * that `createHash` allocates per call; older runtimes fall back.
 */
const sha256Hex: (secret: string) => string =
  typeof oneShotHash === 'function'
    ? (secret) => oneShotHash('sha256', secret, 'hex')
    : (secret) => createHash('sha256').update(secret).digest('hex');

/**
 * Turns a presented secret into a principal, or a 401 that says why not. The checksum is
 * checked first, so a malformed string never reaches the database; a known hash is then served
 * from the verifier cache, and every rule is checked against the snapshot on every request.
 */
@Injectable()
export class TokenVerifier implements PrincipalVerifier {
  constructor(
    private readonly tokens: TokensRepository,
    private readonly cache: VerifierCache,
    private readonly lastUsed: LastUsedWriter,
    private readonly rejections: RejectedUseRecorder,
    private readonly usage: TokenUsageRecorder,
    private readonly metrics: Metrics,
    private readonly uses: UsesMeter,
    private readonly database: Database,
    private readonly statusLists: StatusListReferences,
    private readonly imported: ImportedKeys,
  ) {}

  /**
   * `origin` is where the request came from, recorded when a dead token is presented; its
   * `namedIp` (the client address as TRUST_PROXY names it, with no fallback to the peer) is
   * matched against the token's networks. Each call
   * counts one outcome; `not_member` and a malformed or unknown token answer alike (401
   * INVALID_TOKEN), and only the count tells them apart.
   *
   * Answered at once where the cache holds the hash (the hot path): the principal, or the
   * refusal thrown, with no promise and no microtask. A promise only where something must be
   * waited for: the read of a miss, a DPoP proof's `jti` spent, or a use of a limited token.
   * Every rule is `admit`'s, so a hit and a miss are judged by the same code.
   */
  verify(
    secret: string,
    origin: RequestOrigin,
    proof: ProofShown,
    resource: string | null,
  ): VerifiedPrincipal | Promise<VerifiedPrincipal> {
    if (!isWellFormedSecret(secret)) return this.verifyImported(secret, origin, proof, resource);
    return this.lookUp(secret, origin, proof, resource);
  }

  /** The snapshot of the secret's hash (the cache's, or one read), judged by `admit`. */
  private lookUp(
    secret: string,
    origin: RequestOrigin,
    proof: ProofShown,
    resource: string | null,
  ): VerifiedPrincipal | Promise<VerifiedPrincipal> {
    const snapshot = this.cache.getOrLoad(sha256Hex(secret), this.read);
    if (snapshot instanceof Promise) {
      return snapshot.then((s) => this.admit(s, origin, proof, resource));
    }
    return this.admit(snapshot, origin, proof, resource);
  }

  /**
   * A string without Latchkey's shape: refused at once, unless the installation holds keys
   * brought from elsewhere and it could be one (`ImportedKeys`), when it is looked up like any
   * token. Apart from `verify`, so the Latchkey-shaped path is what it was.
   */
  private verifyImported(
    secret: string,
    origin: RequestOrigin,
    proof: ProofShown,
    resource: string | null,
  ): VerifiedPrincipal | Promise<VerifiedPrincipal> {
    const judged = (may: boolean) => {
      if (!may) {
        this.metrics.verified('invalid');
        notePresented(origin, null);
        throw invalidToken();
      }
      return this.lookUp(secret, origin, proof, resource);
    };
    const may = this.imported.mayHold(secret);
    return may instanceof Promise ? may.then(judged) : judged(may);
  }

  /** The rules, against the snapshot the cache or the database gave (null: no such token). */
  private admit(
    snapshot: TokenSnapshot | null,
    origin: RequestOrigin,
    proof: ProofShown,
    resource: string | null,
  ): VerifiedPrincipal | Promise<VerifiedPrincipal> {
    // Before any refusal: what the request presented is counted even when refused (analytics).
    notePresented(origin, snapshot?.ref ?? null);
    if (!snapshot) {
      this.metrics.verified('invalid');
      throw invalidToken();
    }
    const standing = standingOf(snapshot);
    const { ref } = snapshot;
    switch (standing) {
      case 'revoked':
        this.metrics.verified('revoked');
        this.rejections.note(ref, holderOf(snapshot), 'revoked', origin);
        throw AuthError.bearer('TOKEN_REVOKED');
      case 'expired':
        this.metrics.verified('expired');
        this.rejections.note(ref, holderOf(snapshot), 'expired', origin);
        throw AuthError.bearer('TOKEN_EXPIRED');
      case 'not_member':
        this.metrics.verified('not_member');
        throw invalidToken();
      case 'disabled':
        this.metrics.verified('disabled');
        this.rejections.note(ref, holderOf(snapshot), 'disabled', origin);
        throw AuthError.bearer('TOKEN_DISABLED');
      case 'active': {
        if (snapshot.addresses && !snapshot.addresses.has(origin.namedIp)) {
          this.metrics.verified('ip_not_allowed');
          this.rejections.note(ref, holderOf(snapshot), 'ip_not_allowed', origin);
          // Refused before a request context exists, so the response hook cannot count it: a use
          // from outside the token's networks is what its usage most needs to show.
          this.usage.note(ref.id, ref.businessId, 403, origin.ip);
          throw AuthError.forbidden('IP_NOT_ALLOWED');
        }
        const { audiences } = snapshot.principal.token;
        // RFC 8707: a token for other resources is no credential here. Before its proof is
        // spent, so a refusal costs the client no proof.
        if (audiences && (resource === null || !audiences.includes(resource))) {
          this.metrics.verified('audience');
          this.rejections.note(ref, holderOf(snapshot), 'audience', origin);
          throw otherAudience(snapshot.principal.token.dpopJkt ?? null);
        }
        const unproven = proofRefusal(snapshot.principal.token.dpopJkt ?? null, proof, snapshot);
        if (unproven) {
          this.metrics.verified('dpop_proof');
          // A missing nonce is the protocol's first step (RFC 9449 §8), not a refused use.
          if (unproven.code !== 'USE_DPOP_NONCE') this.refuseProof(snapshot, origin);
          throw unproven;
        }
        // A proof that holds is spent now that the key matches, and before a use is counted:
        // a replay is refused as a refused use, and costs the token nothing.
        if (proof !== null && 'spend' in proof) {
          return proof.spend().then((fresh) => {
            if (fresh) return this.accept(snapshot);
            this.metrics.verified('dpop_proof');
            this.refuseProof(snapshot, origin);
            throw AuthError.dpop('INVALID_DPOP_PROOF', 'This DPoP proof was used before');
          });
        }
        return this.accept(snapshot);
      }
    }
  }

  /** A token that speaks: counted, and its use spent when it has a limit of uses. */
  private accept(snapshot: TokenSnapshot): VerifiedPrincipal | Promise<VerifiedPrincipal> {
    // A suspended business's token passes here and is refused by every route it could
    // reach (the business-scope guard, introspection): counted as what the caller meets.
    const { token } = snapshot.principal;
    const suspended = token.business?.status === 'suspended';
    this.metrics.verified(suspended ? 'suspended' : 'ok');
    this.lastUsed.touch(snapshot.ref.id);
    // A token with no limit of uses pays this one check; a limited one spends a use before
    // its request goes on (429 USES_EXHAUSTED once none is left), unless it is refused anyway.
    if (!token.uses || suspended) return snapshot.principal;
    return this.uses.spend(snapshot.principal, token.uses);
  }

  private refuseProof(snapshot: TokenSnapshot, origin: RequestOrigin): void {
    this.rejections.note(snapshot.ref, holderOf(snapshot), 'dpop_proof', origin);
  }

  /**
   * The same admission, asked about a token rather than by it (RFC 7662): the principal it would
   * speak for now, or null. Nothing is recorded, since the token is not the one being used.
   */
  async inspect(secret: string): Promise<VerifiedPrincipal | null> {
    if (!isWellFormedSecret(secret) && !(await this.imported.mayHold(secret))) return null;
    const hash = sha256Hex(secret);
    const snapshot = await this.cache.getOrLoad(hash, this.read);
    return snapshot && standingOf(snapshot) === 'active' ? snapshot.principal : null;
  }

  /** The cache miss: one query, for the cache to keep. */
  private readonly read = async (hash: string): Promise<TokenSnapshot | null> => {
    const row = await this.tokens.findForVerifierAnyBusiness(hash, this.database.primary);
    return row ? snapshotOf(row, this.statusLists) : null;
  };
}

/**
 * RFC 9449 §7: a proof that does not hold refuses any token (one that lacks the server's nonce,
 * with the §9 challenge to retry with one); a token bound to a key speaks only with
 * `Authorization: DPoP` and a proof of that key. An unbound token with a good proof speaks as it
 * would without one.
 */
function proofRefusal(
  boundTo: string | null,
  proof: ProofShown,
  { keyRequired }: TokenSnapshot,
): AuthError | null {
  if (proof && 'invalid' in proof) {
    return proof.invalid === 'nonce'
      ? AuthError.useDpopNonce()
      : AuthError.dpop('INVALID_DPOP_PROOF');
  }
  // A client that proves a key with a token bound to none, where the business's policy binds
  // them all: refused, so the token made before the rule shows itself (a bearer use is not).
  if (boundTo === null && proof !== null && keyRequired) {
    return AuthError.dpop(
      'INVALID_TOKEN',
      "This token is bound to no key, and the business's policy binds its tokens to keys: rotate it with dpop_jkt",
    );
  }
  if (boundTo === null) return null;
  if (proof?.bound && proof.key === boundTo) return null;
  return AuthError.dpop(
    'INVALID_TOKEN',
    'This token is bound to a key: send it as Authorization: DPoP, with a DPoP proof of that key',
  );
}

/** A token used outside its audiences: `invalid_token`, in the scheme it speaks (RFC 9449 §7.1). */
function otherAudience(boundTo: string | null): AuthError {
  const why = 'This token is for other resources than this one (its audiences)';
  return boundTo === null
    ? AuthError.bearer('INVALID_TOKEN', why)
    : AuthError.dpop('INVALID_TOKEN', why);
}

/** The token's holder as a rejected use records it; made only for a refusal. */
function holderOf({ principal: { actor } }: TokenSnapshot): EventActor {
  return { id: actor.id, type: actor.kind, label: actor.label };
}

/**
 * The rules, against the clock (a cached token that has since expired is refused): whether the
 * token speaks now, and if not, whether it is dead (revoked, expired), speaks for nobody
 * (`not_member`: its holder is gone, or lost the standing it was issued under), or is paused
 * (`disabled`).
 */
function standingOf(
  snapshot: TokenSnapshot,
): 'active' | 'revoked' | 'expired' | 'not_member' | 'disabled' {
  const status = tokenLife(snapshot);
  if (status !== 'active') return status;
  if (snapshot.identityDeleted) return 'not_member';
  // A token speaks only while its identity still holds the standing it was issued under:
  // a membership of the token's business, or platform admin rights for a platform token.
  if (snapshot.ref.businessId === null ? !snapshot.isPlatformAdmin : snapshot.role === null) {
    return 'not_member';
  }
  // Removal revokes every token of the membership; this fails closed should one escape it:
  // a re-added member starts clean.
  if (snapshot.predatesMembership) return 'not_member';
  // Paused, not dead: said only to a token that would otherwise speak.
  if (snapshot.disabledAt) return 'disabled';
  return 'active';
}
