import { Injectable } from '@nestjs/common';
import { Database } from '../../database/connection/read-routing';
import { AppConfig } from '../../config/app-config';
import { Outcome, UNSIGNED } from './webhook-attempt-recorder';
import { STREAM_SCHEME, type WebhookEndpoint } from '../store/webhook-endpoint.entity';
import { JwtSigner } from '../../signing/jwt-signer';
import { publicBaseUrl } from '../../config/sections/features/status-list-config';
import { SET_MEDIA_TYPE, securityEventToken } from '../signing/security-event-token';
import { open, secretsKeyOf } from '../signing/webhook-secret-box';
import { WebhookClaims } from './webhook-claims';
import { sendWebhook } from '../transport/webhook-sender';
import { signedHeaders } from '../signing/webhook-signature';
import { WebhookSigningKey } from '../signing/webhook-signing-key';
import { WebhooksService } from '../endpoints/webhooks.service';
import { WebhookEndpointsRepository } from '../store/webhook-endpoints.repository';
import type { ClaimedMessage } from '../store/webhook-messages.repository';

/**
 * How long an endpoint read for a send serves the next ones, of messages claimed before it
 * began: a change to it (its URL, its secret, disabling it) reaches those that waited behind
 * their endpoint's sends within this. A message claimed after the change has it at once.
 */
const ENDPOINT_READ_MS = 1_000;
/** Endpoints kept read at most; past it the reads start afresh. */
const ENDPOINTS_KEPT = 256;

/** An endpoint as a send read it, and which sends it may serve. */
interface EndpointRead {
  /** When the read began (Date.now()). */
  at: number;
  /** The claims committed when it began (`WebhookClaims.claimsCommitted`): it serves their messages. */
  after: number;
  row: Promise<WebhookEndpoint | null>;
}

/**
 * One delivery attempt of a claimed message: its endpoint read, the message signed as the
 * endpoint's scheme says, and sent. The dispatcher decides when; this decides what goes out.
 * A read is kept so that a busy endpoint is not read per send, but it serves only messages whose
 * claim had committed when it began: a message is never signed with a copy of its endpoint older
 * than its claim, so every message queued after a rotation committed is signed by the new secret.
 * One read per endpoint per claim that takes its messages, where a busy endpoint's claim takes
 * many (`WebhookClaimPass`).
 */
@Injectable()
export class WebhookAttempts {
  /** Endpoints as sends last read them. */
  private readonly endpoints = new Map<string, EndpointRead>();
  /** Endpoints whose secret did not open since `takeUnsigned` last answered. */
  private readonly unsigned = new Set<string>();

  constructor(
    private readonly config: AppConfig,
    private readonly repo: WebhookEndpointsRepository,
    private readonly webhooks: WebhooksService,
    private readonly claims: WebhookClaims,
    private readonly database: Database,
    private readonly jwt: JwtSigner,
  ) {}

  /** One attempt: signed and sent, within WEBHOOK_TIMEOUT_MS; never sent to a gone endpoint. */
  async send(message: ClaimedMessage): Promise<Outcome> {
    const found = await this.endpointOf(message);
    if (!found || found.disabledAt)
      return { message, endpoint: found, result: null, at: new Date() };
    const at = new Date();
    let signed: { headers: Record<string, string>; body: string; contentType?: string };
    try {
      signed =
        found.signatureScheme === STREAM_SCHEME
          ? await this.pushed(message, found)
          : {
              headers: signedHeaders(
                message.id,
                at,
                message.payload,
                await this.signerOf(found, at),
              ),
              body: message.payload,
            };
    } catch {
      // One endpoint's secret must not fail the others: its attempt fails, the others go.
      this.unsigned.add(found.id);
      return { message, endpoint: found, result: UNSIGNED, at };
    }
    const result = await sendWebhook({
      url: found.url,
      ...signed,
      timeoutMs: this.config.WEBHOOK_TIMEOUT_MS,
      policy: this.webhooks.policy,
    });
    return { message, endpoint: found, result, at };
  }

  /**
   * A stream's push (RFC 8935): the message as a signed SET, with the `Authorization` header its
   * receiver asked for, sealed as a webhook's secret is.
   */
  private async pushed(message: ClaimedMessage, stream: WebhookEndpoint) {
    const key = secretsKeyOf(this.config);
    if (key.kind === 'off') throw new Error('webhooks are off');
    const authorization = open(key.key, stream.id, stream.secretSealed);
    return {
      headers: {
        accept: 'application/json',
        ...(authorization === '' ? {} : { authorization }),
      },
      body: await securityEventToken(
        this.jwt,
        publicBaseUrl(this.config),
        message.id,
        stream.id,
        message.payload,
      ),
      contentType: SET_MEDIA_TYPE,
    };
  }

  /** The endpoints whose secret did not open since the last call, for one log line. */
  takeUnsigned(): string[] {
    const ids = [...this.unsigned];
    this.unsigned.clear();
    return ids;
  }

  /**
   * The message's endpoint, as a read that began after the message's claim committed found it:
   * the last one, while it is that recent and under ENDPOINT_READ_MS old, or a new one.
   */
  private endpointOf(message: ClaimedMessage): Promise<WebhookEndpoint | null> {
    const id = message.endpointId;
    const now = Date.now();
    const last = this.endpoints.get(id);
    if (last && last.after >= message.claim && now - last.at < ENDPOINT_READ_MS) return last.row;
    if (this.endpoints.size > ENDPOINTS_KEPT) this.endpoints.clear();
    const read: EndpointRead = {
      at: now,
      after: this.claims.claimsCommitted,
      row: this.repo.findEndpointAnyChain(id, this.database.primary),
    };
    // A read that fails is not kept: the next send reads again.
    read.row.catch(() => {
      if (this.endpoints.get(id) === read) this.endpoints.delete(id);
    });
    this.endpoints.set(id, read);
    return read.row;
  }

  /**
   * What signs now: for a v1a endpoint, its business's Ed25519 key (and a rotated-out one within
   * its overlap); else the current secret, and a rotated-out one within its overlap.
   */
  private async signerOf(
    endpoint: WebhookEndpoint,
    at: Date,
  ): Promise<string[] | WebhookSigningKey[]> {
    const key = secretsKeyOf(this.config);
    if (key.kind === 'off') throw new Error('webhooks are off');
    if (endpoint.signatureScheme === 'v1a') {
      return this.webhooks.signingKeys.signers(endpoint.chainId, at);
    }
    const secrets = [open(key.key, endpoint.id, endpoint.secretSealed)];
    if (
      endpoint.previousSecretSealed &&
      endpoint.previousSecretUntil &&
      endpoint.previousSecretUntil > at
    ) {
      secrets.push(open(key.key, endpoint.id, endpoint.previousSecretSealed));
    }
    return secrets;
  }
}
