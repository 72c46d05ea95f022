import type { TargetPolicy } from '../../common/address-guard';
import { GuardedFetchError, guardedGet, type FetchFailure } from '../../common/guarded-fetch';

/** The largest key set read; an issuer's is a few KB. */
export const MAX_JWKS_BYTES = 256 * 1024;

/** Why a key set could not be fetched: a fixed phrase, never the URL or the answer. */
export class JwksUnavailable extends Error {
  override name = 'JwksUnavailable';
}

const PHRASES: Record<Exclude<FetchFailure, 'refused' | 'status' | 'redirected'>, string> = {
  'too-large': 'the key set is too large',
  timeout: 'fetching the key set timed out',
  unreachable: 'the key set could not be fetched',
};

/**
 * GETs a `jwks_uri` under the webhooks' address rules (`guardedGet`: the URL and every address
 * its host resolves to judged, no redirect followed, bounded in time and by MAX_JWKS_BYTES).
 */
export async function fetchJwks(
  url: string,
  policy: TargetPolicy,
  timeoutMs: number,
): Promise<unknown> {
  let body: Buffer;
  try {
    ({ body } = await guardedGet(url, {
      policy,
      timeoutMs,
      maxBytes: MAX_JWKS_BYTES,
      accept: 'application/json',
      userAgent: 'Latchkey-Federation/1',
    }));
  } catch (e) {
    if (!(e instanceof GuardedFetchError)) throw e;
    if (e.failure === 'refused') throw new JwksUnavailable(e.message);
    if (e.failure === 'status' || e.failure === 'redirected') {
      throw new JwksUnavailable(`the key set answered ${e.status || 'nothing'}`);
    }
    throw new JwksUnavailable(PHRASES[e.failure]);
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new JwksUnavailable('the key set is not JSON');
  }
}
