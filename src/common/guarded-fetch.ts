import { get as httpGet, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { guardedLookup, TargetRefused, urlProblem, type TargetPolicy } from './address-guard';

/** What went wrong with a guarded GET, so each caller can give every case its own answer. */
export type FetchFailure =
  /** The URL breaks a rule, or its host is or resolves to a forbidden address. */
  | 'refused'
  /** The answer was a redirect (3xx); none is followed. */
  | 'redirected'
  /** The answer's status was not 200. */
  | 'status'
  /** The body passed the bound. */
  | 'too-large'
  /** The whole fetch did not end within the bound. */
  | 'timeout'
  /** The connection failed, or the answer could not be read. */
  | 'unreachable';

/** Why a guarded GET failed: the kind, and a fixed phrase that never holds the URL or the answer. */
export class GuardedFetchError extends Error {
  override name = 'GuardedFetchError';
  constructor(
    readonly failure: FetchFailure,
    message: string,
    /** The status of an answer that was not 200. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface GuardedGet {
  policy: TargetPolicy;
  /** Connection and answer together. */
  timeoutMs: number;
  maxBytes: number;
  accept: string;
  userAgent: string;
}

/** A 200 answer: its headers and whole body. */
export interface Fetched {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * GETs a URL under the outbound address rules: the URL judged as text (an IP literal included),
 * then every address its host resolves to at connect time (`guardedLookup`, so a DNS answer that
 * changed since the URL was given is judged again). No redirect is followed, the whole fetch is
 * bounded by `timeoutMs`, and the body by `maxBytes`. Federation's `jwks_uri` and a client's
 * metadata document are both read through it.
 */
export function guardedGet(url: string, options: GuardedGet): Promise<Fetched> {
  const problem = urlProblem(url, options.policy);
  if (problem !== null) return Promise.reject(new GuardedFetchError('refused', problem));
  const parsed = new URL(url);
  const get = parsed.protocol === 'https:' ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, value?: Fetched) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      if (error) reject(error);
      else resolve(value!);
    };
    const request = get(
      parsed,
      {
        agent: false,
        lookup: guardedLookup(options.policy),
        headers: { accept: options.accept, 'user-agent': options.userAgent },
      },
      (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          finish(new GuardedFetchError('redirected', 'the answer was a redirect', status));
          return;
        }
        if (status !== 200) {
          finish(new GuardedFetchError('status', `the answer was ${status || 'nothing'}`, status));
          return;
        }
        // A declared length past the bound is refused before a byte of the body is read.
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > options.maxBytes) {
          finish(new GuardedFetchError('too-large', 'the answer is too large'));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            finish(new GuardedFetchError('too-large', 'the answer is too large'));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () =>
          finish(null, { headers: response.headers, body: Buffer.concat(chunks) }),
        );
        response.on('error', () =>
          finish(new GuardedFetchError('unreachable', 'the answer could not be read')),
        );
      },
    );
    request.on('error', (error) =>
      finish(
        error instanceof TargetRefused
          ? new GuardedFetchError('refused', error.message)
          : new GuardedFetchError('unreachable', 'the URL could not be fetched'),
      ),
    );
    const timer = setTimeout(
      () => finish(new GuardedFetchError('timeout', 'the fetch timed out')),
      options.timeoutMs,
    );
  });
}
