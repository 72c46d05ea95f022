import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import {
  guardedLookup,
  TargetRefused,
  urlProblem,
  type TargetPolicy,
} from '../../common/address-guard';

/** The largest key set read; an issuer's is a few KB. */
export const MAX_JWKS_BYTES = 256 * 1024;

/** Why a key set could not be fetched: a fixed phrase, never the URL or the answer. */
export class JwksUnavailable extends Error {
  override name = 'JwksUnavailable';
}

/**
 * GETs a `jwks_uri` under the webhooks' address rules: the URL judged as text (an IP literal
 * included), then every address its host resolves to at connect time (`guardedLookup`, so a DNS
 * answer that changed since the rule was made is judged again). No redirect is followed, the
 * whole fetch is bounded by `timeoutMs`, and the body by MAX_JWKS_BYTES.
 */
export function fetchJwks(url: string, policy: TargetPolicy, timeoutMs: number): Promise<unknown> {
  const problem = urlProblem(url, policy);
  if (problem !== null) return Promise.reject(new JwksUnavailable(problem));
  const parsed = new URL(url);
  const get = parsed.protocol === 'https:' ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    const request = get(
      parsed,
      {
        agent: false,
        lookup: guardedLookup(policy),
        headers: { accept: 'application/json', 'user-agent': 'Latchkey-Federation/1' },
      },
      (response: IncomingMessage) => {
        if (response.statusCode !== 200) {
          finish(new JwksUnavailable(`the key set answered ${response.statusCode ?? 'nothing'}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_JWKS_BYTES) {
            finish(new JwksUnavailable('the key set is too large'));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          try {
            finish(null, JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            finish(new JwksUnavailable('the key set is not JSON'));
          }
        });
        response.on('error', () => finish(new JwksUnavailable('the key set could not be read')));
      },
    );
    request.on('error', (error) =>
      finish(
        new JwksUnavailable(
          error instanceof TargetRefused ? error.message : 'the key set could not be fetched',
        ),
      ),
    );
    const timer = setTimeout(
      () => finish(new JwksUnavailable('fetching the key set timed out')),
      timeoutMs,
    );
  });
}
