import type { Logger } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';
import { loggableError } from '../../common/errors/safe-error';
import type { ClaimedMessage } from '../store/webhook-messages.repository';
import { SendSlots } from './send-slots';
import { Serial } from './serial';
import type { WebhookClaims } from './webhook-claims';

/** Sends one instance has in flight at most, all endpoints together. */
const SEND_SLOTS = 64;
/**
 * What one business (chain) may hold of them: half, so the other half is always there for the
 * others, however many dead receivers one business registers.
 */
const CHAIN_SLOTS = SEND_SLOTS / 2;
/**
 * Messages claimed to wait behind each send of a busy endpoint: enough that its queue does not
 * run dry while a claim refills it, which takes several sends' time on a loaded machine.
 */
const QUEUED_PER_SEND = 4;
/** Time for an attempt's record after its send. */
const RECORD_MARGIN_MS = 5_000;
/**
 * How long a claimed message stays with its worker: its send (within the timeout) and the
 * transaction that records it, twice over. A message that waited for its endpoint is sent only
 * while that much of its lease is left (`release`), or handed back. A worker that died mid-send
 * leaves its messages to be taken again once this ends.
 */
const leaseMs = (timeoutMs: number) => 2 * timeoutMs + RECORD_MARGIN_MS;

/**
 * The dispatcher's claim pass, and the messages it holds: SEND_SLOTS send slots (`SendSlots`),
 * the messages claimed to wait for their endpoint, and those to hand back. Woken by a commit, the
 * poll (WEBHOOK_POLL_MS), a slot that frees or a busy endpoint's queue running low, it claims one
 * pass at a time: it reads the due messages endpoint by endpoint, lets the slots choose fairly
 * across businesses and endpoints (none past WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT), takes them in
 * one statement (one instance each, on PostgreSQL) and starts each send (`launch`), or has it
 * wait for one of its endpoint's sends to end.
 */
export class WebhookClaimPass {
  private readonly claiming: Serial;
  private readonly slots: SendSlots<ClaimedMessage>;
  private state: 'idle' | 'on' | 'off' = 'idle';
  /**
   * Messages claimed but not to be sent here (their endpoint failed, or they waited too long):
   * handed back by the next claim, due again and their attempt uncounted.
   */
  private handBack: ClaimedMessage[] = [];
  /** A busy endpoint's queue is refilled once this few wait for it. */
  private readonly lowWater: number;

  constructor(
    private readonly config: AppConfig,
    private readonly claims: WebhookClaims,
    private readonly logger: Logger,
    /** Sends a message that holds a slot. */
    private readonly launch: (message: ClaimedMessage) => void,
  ) {
    const perEndpoint = config.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT;
    this.slots = new SendSlots({
      slots: SEND_SLOTS,
      perEndpoint,
      perChain: CHAIN_SLOTS,
      queuePerEndpoint: QUEUED_PER_SEND * perEndpoint,
    });
    this.lowWater = (QUEUED_PER_SEND * perEndpoint) / 2;
    this.claiming = new Serial(
      () => this.claimAll(),
      (e: unknown) => this.logger.warn({ err: loggableError(e) }, 'webhook claim failed'),
    );
  }

  /** Sends in flight. */
  get inFlight(): number {
    return this.slots.inFlight;
  }

  /** Starts claiming, once: a pass that stopped stays stopped. */
  start(): void {
    if (this.state === 'idle') this.state = 'on';
    this.kick();
  }

  /** Claims nothing more, and takes back what waits unsent, to hand back (`handBackNow`). */
  async stop(): Promise<void> {
    this.state = 'off';
    await this.claiming.idle();
    for (const endpoint of this.slots.endpointsWaiting()) {
      this.handBack.push(...this.slots.takeBack(endpoint));
    }
  }

  /** Claims now, or right after the claim under way. */
  kick(): void {
    if (this.state !== 'on') return;
    this.claiming.run();
  }

  /** Whether messages wait to be handed back. */
  get owesBack(): boolean {
    return this.handBack.length > 0;
  }

  /** Hands back what waits to be, in a transaction of its own (a worker that stops). */
  async handBackNow(): Promise<void> {
    if (this.handBack.length === 0) return;
    const back = this.handBack.splice(0);
    await this.claims
      .handBackNow(back, new Date())
      .catch((e: unknown) =>
        this.logger.warn({ err: loggableError(e) }, 'handing back webhook messages failed'),
      );
  }

  /** Whether the endpoint has sends under way. */
  busy(endpointId: string): boolean {
    return this.slots.busy(endpointId);
  }

  /**
   * After a delivered send: a claim at once if its slot is free for any message (`passed` is
   * false) or the endpoint's queue runs low.
   */
  refill(endpointId: string, passed: boolean): void {
    if (!passed || this.slots.waitingFor(endpointId) <= this.lowWater) this.kick();
  }

  /**
   * Frees a failed send's slot once its attempt is recorded, and hands back what waited for its
   * endpoint: the next claim finds the endpoint failing (`failing_since`), and gives it one send
   * at a time.
   */
  releaseFailed(message: ClaimedMessage): void {
    this.handBack.push(...this.slots.takeBack(message.endpointId));
    this.release(message);
  }

  /** Frees a send's slot; answers whether a message waiting for its endpoint took it. */
  release(message: ClaimedMessage): boolean {
    let next = this.slots.release(message);
    // One that waited too long (its endpoint slow to answer) is handed back, not sent late.
    const enough = this.config.WEBHOOK_TIMEOUT_MS + RECORD_MARGIN_MS;
    while (next && next.leaseUntil.getTime() - Date.now() < enough) {
      this.handBack.push(next);
      next = this.slots.release(next);
    }
    if (next) this.launch(next);
    if (this.handBack.length > 0) this.kick();
    return next !== null;
  }

  /** Claims again while a claim may find more. */
  private async claimAll(): Promise<void> {
    while (this.state === 'on' && (await this.claim()));
  }

  /**
   * One claim (`WebhookClaims`): hands back what is not to be sent here, takes what the slots
   * choose, and starts each or has it wait for its endpoint. Answers whether another claim may
   * find more at once.
   */
  private async claim(): Promise<boolean> {
    const now = new Date();
    const lease = new Date(now.getTime() + leaseMs(this.config.WEBHOOK_TIMEOUT_MS));
    const back = this.handBack.splice(0);
    // Each endpoint's sends in flight, and those to wait for them.
    const perEndpoint = (1 + QUEUED_PER_SEND) * this.config.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT;
    const { taken, more } = await this.claims
      .claim(this.slots, back, perEndpoint, now, lease)
      .catch((e: unknown) => {
        this.handBack.push(...back);
        throw e;
      });
    for (const { message, failing } of taken) {
      if (this.slots.take(message, failing) === 'now') this.launch(message);
    }
    return more;
  }
}
