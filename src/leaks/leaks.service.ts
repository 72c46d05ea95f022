import { Injectable } from '@nestjs/common';
import type { Author, EventOrigin } from '../database/units/domain-event';
import { TokenRevocationService } from '../tokens/lifecycle/revocation/token-revocation.service';
import { AppConfig } from '../config/app-config';
import { GithubSignatureVerifier, githubKeysOf } from './github-signature';
import { LeakError } from './leak-error';
import { parseLeakReport } from './leak-report';
import type { LeakLabelDto } from './dto/leak-label.dto';

/** Who revokes a reported token, as the audit log and the token's `revoked_by` name it. */
export const GITHUB_SCANNER = 'github-secret-scanning';

/** What a signed report's headers carry. */
export interface ReportSignature {
  keyId: string | undefined;
  signature: string | undefined;
}

/**
 * GitHub's secret scanning partner program: a report of tokens found in public code revokes
 * each one that exists. Nothing is read, and nothing is answered about any token, before the
 * report's signature holds.
 */
@Injectable()
export class LeaksService {
  /** Null while leak reports are off (no keys file). */
  private readonly verifier: GithubSignatureVerifier | null;

  constructor(
    config: AppConfig,
    private readonly revocation: TokenRevocationService,
  ) {
    const keys = githubKeysOf(config);
    this.verifier = keys.kind === 'on' ? new GithubSignatureVerifier(keys.keys) : null;
  }

  /**
   * Checks the signature over the body's exact bytes, then revokes each reported token that
   * exists (once: a token reported again is left as it is) and labels each entry as GitHub
   * asks: `true_positive` for a token of this installation, `false_positive` for anything else.
   */
  async report(
    origin: EventOrigin,
    signed: ReportSignature,
    raw: Buffer,
    body: unknown,
  ): Promise<LeakLabelDto[]> {
    if (this.verifier === null) throw new LeakError('LEAK_REPORTS_OFF');
    const check = this.verifier.check(signed.keyId, signed.signature, raw);
    if (check !== 'valid') throw new LeakError('INVALID_SIGNATURE', detailOf(check));
    const author: Author = { actor: { id: null, type: 'system', label: GITHUB_SCANNER }, origin };
    const answers: LeakLabelDto[] = [];
    // One at a time: each revocation is a transaction of its own, so a failure part way keeps
    // what was revoked, and the report, sent again, finishes the rest.
    for (const leak of parseLeakReport(body)) {
      const outcome = await this.revocation.revokeLeaked(author, leak.token, leak.sighting);
      answers.push({
        token_raw: leak.token,
        token_type: leak.reportedType,
        label: outcome === 'unknown' ? 'false_positive' : 'true_positive',
      });
    }
    return answers;
  }
}

function detailOf(check: 'missing' | 'unknown_key' | 'invalid'): string {
  switch (check) {
    case 'missing':
      return 'Github-Public-Key-Identifier and Github-Public-Key-Signature are both required';
    case 'unknown_key':
      return 'Github-Public-Key-Identifier names no key in GITHUB_SECRET_SCANNING_KEYS_FILE';
    case 'invalid':
      return 'Github-Public-Key-Signature does not hold over the body';
  }
}
