import type { AppConfig } from '../../config/app-config';
import type { Database } from '../../database/connection/read-routing';
import { WebhookAttempts } from './webhook-attempts';
import type { WebhookClaims } from './webhook-claims';
import type { JwtSigner } from '../../signing/jwt-signer';
import type { WebhookEndpoint } from '../store/webhook-endpoint.entity';
import type { WebhookEndpointsRepository } from '../store/webhook-endpoints.repository';
import type { ClaimedMessage } from '../store/webhook-messages.repository';
import type { WebhooksService } from '../endpoints/webhooks.service';

const ENDPOINT = '00000000-0000-4000-8000-000000000001';

/**
 * Which read of its endpoint a send uses. The endpoints are disabled, so nothing is sent and
 * each outcome names the read it was decided on (its description).
 */
describe(WebhookAttempts.name, () => {
  let reads: number;
  let claims: { claimsCommitted: number };
  let sut: WebhookAttempts;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-11-27T10:00:00Z') });
    reads = 0;
    claims = { claimsCommitted: 0 };
    const repo = {
      findEndpointAnyChain: (id: string) =>
        Promise.resolve({
          id,
          description: `read ${++reads}`,
          disabledAt: new Date(0),
        } as WebhookEndpoint),
    };
    sut = new WebhookAttempts(
      { WEBHOOK_TIMEOUT_MS: 1000 } as AppConfig,
      repo as unknown as WebhookEndpointsRepository,
      {} as WebhooksService,
      claims as unknown as WebhookClaims,
      { primary: {} } as Database,
      {} as JwtSigner,
    );
  });
  afterEach(() => jest.useRealTimers());

  /** A message of the endpoint, taken by this instance's claim number `claim`. */
  const claimedBy = (claim: number): ClaimedMessage => ({
    id: `msg_${claim}`,
    endpointId: ENDPOINT,
    chainId: 'biz',
    eventType: 'webhook.test',
    payload: '{}',
    attempts: 1,
    createdAt: new Date(),
    leaseUntil: new Date(),
    claim,
  });

  /** A claim commits: the next sends of its messages must read after it. */
  const commitClaim = () => ++claims.claimsCommitted;

  const readFor = async (message: ClaimedMessage) =>
    (await sut.send(message)).endpoint?.description;

  it("reads once for a claim's messages, and again for the next claim's", async () => {
    const first = commitClaim();
    expect(await readFor(claimedBy(first))).toBe('read 1');
    expect(await readFor(claimedBy(first))).toBe('read 1');
    const second = commitClaim();
    expect(await readFor(claimedBy(second))).toBe('read 2');
    // A message of the first claim that waited: the newer read serves it too.
    expect(await readFor(claimedBy(first))).toBe('read 2');
    expect(reads).toBe(2);
  });

  it('never serves a message with a read that began before its claim committed', async () => {
    const first = commitClaim();
    const early = sut.send(claimedBy(first));
    // The second claim commits while the first read is still under way.
    const second = commitClaim();
    const late = sut.send(claimedBy(second));
    expect((await early).endpoint?.description).toBe('read 1');
    expect((await late).endpoint?.description).toBe('read 2');
  });

  it('reads again after a second, for a message that waited behind its endpoint', async () => {
    const first = commitClaim();
    expect(await readFor(claimedBy(first))).toBe('read 1');
    jest.advanceTimersByTime(999);
    expect(await readFor(claimedBy(first))).toBe('read 1');
    jest.advanceTimersByTime(1);
    expect(await readFor(claimedBy(first))).toBe('read 2');
  });
});
