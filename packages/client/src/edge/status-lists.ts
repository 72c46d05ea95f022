import { StatusList } from '@sd-jwt/jwt-status-list';
import { jwtVerify, type JWTPayload } from 'jose';
import { discard, type LatchkeyHttp, readText } from './http';
import type { JwksKeys } from './jwks-keys';

/** The statuses Latchkey writes (draft-ietf-oauth-status-list, section 7.1). */
export const STATUS = { valid: 0, invalid: 1, suspended: 2 } as const;

const STATUS_LIST_JWT = 'application/statuslist+jwt';
/** A list of Latchkey's capacity is a few KB compressed; a much larger answer is refused unread. */
const MAX_LIST_BYTES = 4 * 1024 * 1024;
const BITS = new Set([1, 2, 4, 8]);
/** After a failed fetch, the next waits 1 s, then 2, 4 … up to 30 s, so a down Latchkey is not hammered. */
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** Lists held at once; past it the oldest is let go (its tokens keep it, and share it no more). */
const MAX_LISTS = 10_000;

/** A list was fetched but is not one to trust: a bad signature or claims, or an older `iat`. */
class ListRefused extends Error {}

/** One Token Status List, as this process holds it: shared by every token whose entry names it. */
export class HeldList {
  /** The decoded statuses of the last good list; null until one was fetched. */
  statuses: StatusList | null = null;
  size = 0;
  /** The held list's `iat` (s): a list issued before it is refused, so no one can roll it back. */
  iat = -Infinity;
  /** When the held list was fetched, or confirmed unchanged by a 304 (ms). */
  fetchedAt = -Infinity;
  /** When to fetch it again (ms): its `ttl` after the fetch, never past its `exp`. */
  due = -Infinity;
  /** After a failed fetch, none is tried before this (ms); the held list answers meanwhile. */
  retryAt = -Infinity;
  failures = 0;
  expiresAt = -Infinity;
  ttlMs = 0;
  etag: string | null = null;
  inflight: Promise<void> | null = null;

  constructor(readonly uri: string) {}

  /** The status at `idx`, or -1 when the list holds no such place. */
  statusAt(idx: number): number {
    return idx < this.size ? this.statuses!.getStatus(idx) : -1;
  }
}

/** The lists the verifier holds, each fetched at most once per its `ttl`, verified before use. */
export class StatusLists {
  private readonly held = new Map<string, HeldList>();
  fetches = 0;
  refused = 0;

  constructor(
    private readonly origin: string,
    private readonly http: LatchkeyHttp,
    private readonly keys: JwksKeys,
    private readonly now: () => number,
  ) {}

  /**
   * The list at `uri`, or null when `uri` is not on Latchkey's own origin: an entry comes in an
   * answer's header, and a list elsewhere would be fetched from, and signed by, whoever is there.
   */
  listAt(uri: string): HeldList | null {
    const known = this.held.get(uri);
    if (known !== undefined) return known;
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      this.refused++;
      return null;
    }
    if (url.origin !== this.origin || url.username !== '' || url.password !== '') {
      this.refused++;
      return null;
    }
    if (this.held.size >= MAX_LISTS) this.held.delete(this.held.keys().next().value!);
    const list = new HeldList(uri);
    this.held.set(uri, list);
    return list;
  }

  /** Fetches `list` again; callers at once share one fetch. Never rejects: a failure backs off. */
  refresh(list: HeldList): Promise<void> {
    list.inflight ??= this.fetch(list).finally(() => (list.inflight = null));
    return list.inflight;
  }

  private async fetch(list: HeldList): Promise<void> {
    const started = this.now();
    this.fetches++;
    try {
      const headers: Record<string, string> = { accept: STATUS_LIST_JWT };
      // A 304 only renews a copy that has not expired; an expired one is fetched whole.
      if (list.etag !== null && list.expiresAt > started) headers['if-none-match'] = list.etag;
      const response = await this.http.get(list.uri, headers);
      if (response.status === 304 && headers['if-none-match'] !== undefined) {
        await discard(response);
        list.fetchedAt = started;
        list.due = Math.min(started + list.ttlMs, list.expiresAt);
      } else if (response.status === 200) {
        const jwt = (await readText(response, MAX_LIST_BYTES)).trim();
        await this.accept(list, jwt, response.headers.get('etag'), started);
      } else {
        await discard(response);
        throw new Error(`the list answered ${response.status}`);
      }
      list.failures = 0;
      list.retryAt = -Infinity;
    } catch (e) {
      if (e instanceof ListRefused) this.refused++;
      list.retryAt = this.now() + Math.min(BACKOFF_FIRST_MS * 2 ** list.failures, BACKOFF_MAX_MS);
      list.failures++;
    }
  }

  /** Verifies the list's JWT and, when it holds, makes it the list held. */
  private async accept(list: HeldList, jwt: string, etag: string | null, now: number) {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, this.keys.resolve, {
        algorithms: ['ES256'],
        typ: 'statuslist+jwt',
        subject: list.uri,
        requiredClaims: ['sub', 'iat', 'exp'],
        currentDate: new Date(now),
      }));
    } catch (e) {
      throw new ListRefused(e instanceof Error ? e.message : 'the list does not verify');
    }
    const { iat, exp, ttl } = payload as { iat: number; exp: number; ttl?: unknown };
    if (iat < list.iat) throw new ListRefused('the list is older than the one held');
    if (ttl !== undefined && !(Number.isInteger(ttl) && (ttl as number) > 0)) {
      throw new ListRefused('the list has a ttl that is not a positive integer');
    }
    const { bits, lst } = (payload.status_list ?? {}) as { bits?: unknown; lst?: unknown };
    if (typeof bits !== 'number' || !BITS.has(bits) || typeof lst !== 'string') {
      throw new ListRefused('the list has no status_list of 1, 2, 4 or 8 bits');
    }
    let statuses: StatusList;
    try {
      statuses = StatusList.decompressStatusList(lst, bits as 1 | 2 | 4 | 8);
    } catch {
      throw new ListRefused('the list does not decode');
    }
    list.statuses = statuses;
    list.size = statuses.statusList.length;
    list.iat = iat;
    list.expiresAt = exp * 1000;
    list.ttlMs = ttl === undefined ? list.expiresAt - now : (ttl as number) * 1000;
    list.fetchedAt = now;
    list.due = Math.min(now + list.ttlMs, list.expiresAt);
    list.etag = etag;
  }
}
