import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { deliveryAgent } from '../delivery/delivery-agents';
import {
  bareHost,
  isForbiddenAddress,
  TargetRefused,
  urlProblem,
  type TargetPolicy,
} from '../../common/address-guard';

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** `application/json` unless said: a stream's SETs go as `application/secevent+jwt`. */
  contentType?: string;
  timeoutMs: number;
  policy: TargetPolicy;
}

/**
 * Why an attempt got no HTTP answer. A fixed word, never the URL or a header, since it is stored
 * and shown. `invalid_request` is a URL or header the current policy or Node refuses outright.
 */
export type SendError =
  | 'timeout'
  | 'refused_address'
  | 'connection_failed'
  | 'dns_failed'
  | 'tls_failed'
  | 'invalid_request';

export interface SendResult {
  /** null when no HTTP answer came; a 3xx is an answer like any other and is never followed. */
  status: number | null;
  latencyMs: number;
  /**
   * The first 1024 bytes of the response body at most, as UTF-8, a cut character dropped, and
   * fit to store: see `storableBody`.
   */
  body: string;
  /** From Retry-After, in seconds, clamped to 0..86400; null when absent or invalid. */
  retryAfterSeconds: number | null;
  /** Set exactly when status is null. */
  error: SendError | null;
}

export const MAX_RESPONSE_BODY_BYTES = 1024;
export const USER_AGENT = 'Latchkey-Webhooks/1';
const MAX_RETRY_AFTER_SECONDS = 86_400;

/**
 * One delivery attempt: a POST, bounded by timeoutMs from start to the last byte kept. Never throws.
 * Connections are kept alive per endpoint host (delivery-agents.ts): opening one per send cost
 * about half of one endpoint's throughput (docs/performance.md).
 */
export async function sendWebhook(req: SendRequest): Promise<SendResult> {
  const started = performance.now();
  const first = await attempt(req, started, req.timeoutMs);
  // A kept connection the receiver closed as it was reused: the request never reached it
  // (Node's advice for keep-alive clients), so it goes once more on a new connection.
  if (first.retryFresh) {
    const left = req.timeoutMs - (performance.now() - started);
    if (left > 0) return (await attempt(req, started, left, true)).result;
  }
  return first.result;
}

interface Attempt {
  result: SendResult;
  /** The failure came from a reused connection closed before any answer. */
  retryFresh: boolean;
}

async function attempt(
  req: SendRequest,
  started: number,
  timeoutMs: number,
  fresh = false,
): Promise<Attempt> {
  const failed = (error: SendError): SendResult => ({
    status: null,
    latencyMs: elapsedSince(started),
    body: '',
    retryAfterSeconds: null,
    error,
  });

  const done = (result: SendResult): Attempt => ({ result, retryFresh: false });
  if (urlProblem(req.url, { ...req.policy, allowPrivate: true }) !== null) {
    return done(failed('invalid_request'));
  }
  const url = new URL(req.url);
  // Node connects to an IP literal without calling `lookup`, so guardedLookup never sees it.
  const host = bareHost(url);
  if (!req.policy.allowPrivate && isIP(host) !== 0 && isForbiddenAddress(host)) {
    return done(failed('refused_address'));
  }

  const headers: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name.toLowerCase()] = value;
  // Set last so a caller's header cannot contradict the body actually sent.
  headers['content-type'] = req.contentType ?? 'application/json';
  headers['user-agent'] = USER_AGENT;
  headers['content-length'] = Buffer.byteLength(req.body);

  let outgoing: ClientRequest;
  try {
    const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
    const agent = deliveryAgent(protocol, req.policy);
    // A retry after a reused connection failed asks for a new one (a closed idle one is gone).
    if (fresh) headers.connection = 'close';
    outgoing = (protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      headers,
      agent,
    });
  } catch {
    // Node validates header names and values here (a CR or LF in a value, say).
    return done(failed('invalid_request'));
  }
  return await new Promise<Attempt>((resolve) => {
    let response: IncomingMessage | undefined;
    const chunks: Buffer[] = [];
    let kept = 0;
    let settled = false;

    // Called once an answer is complete (whole: the connection is kept), cut short or capped
    // (error null), or has failed.
    const settle = (error: SendError | null, whole = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!whole) {
        outgoing.destroy();
        response?.destroy();
      }
      if (response === undefined) {
        resolve({
          result: failed(error ?? 'connection_failed'),
          retryFresh: !fresh && outgoing.reusedSocket && error === 'connection_failed',
        });
        return;
      }
      resolve(
        done({
          status: response.statusCode ?? null,
          latencyMs: elapsedSince(started),
          body: storableBody(Buffer.concat(chunks)),
          retryAfterSeconds: parseRetryAfter(response.headers['retry-after'], Date.now()),
          error: null,
        }),
      );
    };

    // One timer for the whole attempt: connect, headers and the capped body.
    const timer = setTimeout(() => settle('timeout'), timeoutMs);
    outgoing.on('error', (e) => settle(describeFailure(e)));
    outgoing.on('response', (res) => {
      response = res;
      res.on('data', (chunk: Buffer) => {
        const room = MAX_RESPONSE_BODY_BYTES - kept;
        chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
        kept += Math.min(chunk.length, room);
        // The rest is never read: the socket goes as soon as the cap is met.
        if (kept >= MAX_RESPONSE_BODY_BYTES) settle(null);
      });
      // A body cut short, or timed out, after the status arrived still reports that status.
      res.on('end', () => settle(null, true));
      res.on('error', () => settle(null));
      res.on('close', () => settle(null));
    });
    outgoing.end(req.body);
  });
}

/**
 * Reads Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as seconds from `nowMs`,
 * clamped to 0..86400; null when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text), MAX_RETRY_AFTER_SECONDS);
  const date = parseHttpDate(text);
  if (date === null) return null;
  const seconds = Math.ceil((date - nowMs) / 1000);
  return Math.min(Math.max(seconds, 0), MAX_RETRY_AFTER_SECONDS);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// The three forms a recipient must accept (RFC 9110 §5.6.7); Date.parse would also take local
// times and free text.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

function parseHttpDate(text: string): number | null {
  let day: string, month: string, year: number, hh: string, mm: string, ss: string;
  let m: RegExpExecArray | null;
  if ((m = IMF_FIXDATE.exec(text))) {
    [, day, month, , hh, mm, ss] = m;
    year = Number(m[3]);
  } else if ((m = RFC850_DATE.exec(text))) {
    [, day, month, , hh, mm, ss] = m;
    // RFC 9110: a two-digit year more than 50 years ahead is taken as the past century's.
    const thisYear = new Date().getUTCFullYear();
    year = 2000 + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
  } else if ((m = ASCTIME_DATE.exec(text))) {
    [, month, day, hh, mm, ss] = m;
    year = Number(m[6]);
  } else {
    return null;
  }
  const ms = Date.UTC(year, MONTHS.indexOf(month), Number(day), Number(hh), Number(mm), Number(ss));
  // Date.UTC rolls 31 Feb over into March; a date that does not survive the round trip is invalid.
  const back = new Date(ms);
  if (back.getUTCDate() !== Number(day) || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 60) {
    return null;
  }
  return ms;
}

/**
 * A receiver's answer as text every database takes: UTF-8 (a malformed sequence read as U+FFFD),
 * with U+0000, which PostgreSQL refuses in a text column, as U+FFFD too, and cut again to
 * 1024 bytes, since each replaced byte grows to three. The stored attempt must not fail on what a
 * receiver chose to send: a batch that cannot be recorded is sent again. A character cut at the
 * cap stays in the decoder, never flushed.
 */
export function storableBody(bytes: Buffer): string {
  const text = new StringDecoder('utf8').write(bytes.subarray(0, MAX_RESPONSE_BODY_BYTES));
  if (!text.includes('\u0000')) return text;
  const replaced = Buffer.from(text.replaceAll('\u0000', '\uFFFD'), 'utf8');
  return new StringDecoder('utf8').write(replaced.subarray(0, MAX_RESPONSE_BODY_BYTES));
}

function describeFailure(error: Error): SendError {
  if (error instanceof TargetRefused) return 'refused_address';
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (syscall === 'getaddrinfo' || code === 'ENOTFOUND' || code?.startsWith('EAI_')) {
    return 'dns_failed';
  }
  // OpenSSL's verify codes (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, ...), Node's own TLS
  // codes, and EPROTO for a handshake that went wrong (a peer that does not speak TLS, say).
  if (code !== undefined && /^(ERR_(TLS|SSL)_|EPROTO$)|CERT|SELF_SIGNED|UNABLE_TO_/.test(code)) {
    return 'tls_failed';
  }
  return 'connection_failed';
}

function elapsedSince(started: number): number {
  return Math.round(performance.now() - started);
}
