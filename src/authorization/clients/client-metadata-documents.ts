import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { TargetPolicy } from '../../common/address-guard';
import { GuardedFetchError, guardedGet, type FetchFailure } from '../../common/guarded-fetch';
import { AppConfig } from '../../config/app-config';
import { ClientError, type ClientErrorCode } from './client-error';
import { clientIdUrlProblem } from './client-id-url';
import { type Client, isRefusal, readClientMetadata } from './client-metadata';

/** The largest metadata document read: a client's is a few hundred bytes. */
export const MAX_DOCUMENT_BYTES = 5 * 1024;
/** A document is kept at least this long, whatever its Cache-Control says (no-store included). */
export const MIN_KEEP_MS = 5 * 60_000;
/** And at most this long, however long its max-age. */
export const MAX_KEEP_MS = 24 * 3_600_000;
/** A document that could not be used is asked for again after this, not on every request. */
export const FAILURE_KEEP_MS = 30_000;
/** The most documents kept, each a few KB at most. */
export const MAX_DOCUMENTS = 1000;

const FETCH_FAILURES: Record<FetchFailure, ClientErrorCode> = {
  refused: 'CLIENT_METADATA_ADDRESS_REFUSED',
  redirected: 'CLIENT_METADATA_REDIRECTED',
  status: 'CLIENT_METADATA_UNAVAILABLE',
  'too-large': 'CLIENT_METADATA_TOO_LARGE',
  timeout: 'CLIENT_METADATA_TIMEOUT',
  unreachable: 'CLIENT_METADATA_UNAVAILABLE',
};

/** Client authentication by a shared secret, which a document published for all cannot hold. */
const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);

interface Kept {
  answer: Client | ClientError;
  until: number;
}

/** How long an answer may be kept, from its Cache-Control: max-age within the floor and ceiling. */
export function keepMsOf(cacheControl: string | string[] | undefined): number {
  const text = Array.isArray(cacheControl) ? cacheControl.join(',') : (cacheControl ?? '');
  const maxAge = /(?:^|[\s,])max-age\s*=\s*"?(\d{1,10})"?/i.exec(text);
  const asked = maxAge ? Number(maxAge[1]) * 1000 : 0;
  return Math.min(MAX_KEEP_MS, Math.max(MIN_KEEP_MS, asked));
}

const isJsonType = (contentType: string | undefined): boolean =>
  /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(contentType ?? '');

/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): a client_id that
 * is an https URL is read from that URL, through the address guard (`guardedGet`: no private,
 * loopback or link-local address unless CLIENT_METADATA_ALLOW_PRIVATE, no redirect, at most
 * MAX_DOCUMENT_BYTES and CLIENT_METADATA_TIMEOUT_MS), validated whole, and kept in an LRU for as
 * long as its Cache-Control allows within MIN_KEEP_MS and MAX_KEEP_MS. When that ends it is read
 * again, and a document that changed or now fails answers as it is now. One fetch per URL at a
 * time; concurrent requests wait on it.
 */
@Injectable()
export class ClientMetadataDocuments {
  /** The clock the cache reads; a test moves it to see a document expire. */
  clock: () => number = Date.now;

  private readonly policy: TargetPolicy;
  private readonly timeoutMs: number;
  private readonly kept = new LRUCache<string, Kept>({ max: MAX_DOCUMENTS });
  private readonly inFlight = new Map<string, Promise<Kept>>();

  constructor(config: AppConfig) {
    this.policy = {
      allowHttp: config.CLIENT_METADATA_ALLOW_HTTP,
      allowPrivate: config.CLIENT_METADATA_ALLOW_PRIVATE,
    };
    this.timeoutMs = config.CLIENT_METADATA_TIMEOUT_MS;
  }

  /** The client a URL client_id names, or the ClientError saying why it names none. */
  async resolve(clientId: string): Promise<Client> {
    const problem = clientIdUrlProblem(clientId, this.policy.allowHttp);
    if (problem !== null) throw new ClientError('CLIENT_ID_INVALID', problem);
    let kept = this.kept.get(clientId);
    if (!kept || kept.until <= this.clock()) kept = await this.fetch(clientId);
    if (kept.answer instanceof ClientError) throw kept.answer;
    return kept.answer;
  }

  private fetch(clientId: string): Promise<Kept> {
    const running = this.inFlight.get(clientId);
    if (running) return running;
    const work = this.read(clientId)
      .then((kept) => {
        this.kept.set(clientId, kept);
        return kept;
      })
      .finally(() => this.inFlight.delete(clientId));
    this.inFlight.set(clientId, work);
    return work;
  }

  private async read(clientId: string): Promise<Kept> {
    const failed = (code: ClientErrorCode, detail?: string): Kept => ({
      answer: new ClientError(code, detail),
      until: this.clock() + FAILURE_KEEP_MS,
    });
    let fetched;
    try {
      fetched = await guardedGet(clientId, {
        policy: this.policy,
        timeoutMs: this.timeoutMs,
        maxBytes: MAX_DOCUMENT_BYTES,
        accept: 'application/json',
        userAgent: 'Latchkey-Authorization/1',
      });
    } catch (e) {
      if (!(e instanceof GuardedFetchError)) throw e;
      return failed(FETCH_FAILURES[e.failure], e.message);
    }
    if (!isJsonType(fetched.headers['content-type'])) {
      return failed('CLIENT_METADATA_NOT_JSON', 'the content type must be application/json');
    }
    let document: unknown;
    try {
      document = JSON.parse(fetched.body.toString('utf8'));
    } catch {
      return failed('CLIENT_METADATA_NOT_JSON', 'the body is not JSON');
    }
    const answer = this.clientOf(clientId, document);
    return {
      answer,
      until:
        this.clock() +
        (answer instanceof ClientError
          ? FAILURE_KEEP_MS
          : keepMsOf(fetched.headers['cache-control'])),
    };
  }

  /** The document, whole, as a client; or the first rule it breaks. */
  private clientOf(clientId: string, document: unknown): Client | ClientError {
    if (typeof document !== 'object' || document === null || Array.isArray(document)) {
      return new ClientError('CLIENT_METADATA_NOT_JSON', 'the document must be a JSON object');
    }
    const fields = document as Record<string, unknown>;
    if (fields.client_id !== clientId) return new ClientError('CLIENT_ID_MISMATCH');
    const method = fields.token_endpoint_auth_method;
    if (method === 'private_key_jwt' || 'jwks' in fields || 'jwks_uri' in fields) {
      return new ClientError(
        'CLIENT_AUTH_METHOD_UNSUPPORTED',
        'private_key_jwt, jwks and jwks_uri are not taken yet',
      );
    }
    if (typeof method === 'string' && SECRET_METHODS.has(method)) {
      return new ClientError(
        'CLIENT_METADATA_INVALID',
        'a metadata document cannot hold a shared secret: token_endpoint_auth_method must be none',
      );
    }
    if (typeof fields.client_name !== 'string') {
      return new ClientError('CLIENT_METADATA_INVALID', 'client_name is required');
    }
    const read = readClientMetadata(fields);
    if (isRefusal(read)) {
      return new ClientError(
        read.field === 'redirect_uris' ? 'CLIENT_REDIRECT_URI_INVALID' : 'CLIENT_METADATA_INVALID',
        read.message,
      );
    }
    return { clientId, kind: 'metadata_document', ...read };
  }
}
