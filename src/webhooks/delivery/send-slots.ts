/** A due message as the claim reads it: enough to choose, before anything is taken. */
export interface DueMessage {
  id: string;
  endpointId: string;
  chainId: string;
  nextAttemptAt: Date;
  /** Its endpoint has failed since its last delivery (`failing_since`). */
  failing: boolean;
}

/** What the slots track of a claimed message. */
export interface Routed {
  endpointId: string;
  chainId: string;
}

export interface SlotLimits {
  /** Sends in flight at once on this instance, all endpoints together. */
  slots: number;
  /** Sends in flight at once to one endpoint that delivers. */
  perEndpoint: number;
  /**
   * Messages claimed to wait for an endpoint whose sends are all in flight, so that each send
   * that ends is followed at once, with no claim in between.
   */
  queuePerEndpoint: number;
  /** Sends in flight at once from one chain (a business, or the platform). */
  perChain: number;
}

/** An endpoint that is failing gets one send at a time, and nothing claimed to wait. */
export const PER_FAILING_ENDPOINT = 1;

/** Whether a message just taken is sent now or waits for one of its endpoint's sends to end. */
export type Start = 'now' | 'wait';

interface Lane<T> {
  sending: number;
  waiting: T[];
  /** As the claim that took its last message read it. */
  failing: boolean;
}

/**
 * One instance's send slots, and who may take the free ones. A send holds its slot until it
 * ends, so a receiver that hangs holds only its own: at most `perEndpoint` for one endpoint (one
 * while it is failing) and `perChain` for one business, so the others always find slots free.
 * Free slots go round the chains that have due messages, the longest waiting first, and within a
 * chain round its endpoints, each endpoint's oldest due message first: one business with a deep
 * backlog takes one turn in each round, as a business with one fresh message does.
 *
 * An endpoint whose sends are all in flight may have `queuePerEndpoint` more claimed to wait for
 * them (not while failing): each takes the slot of a send of its own endpoint that ends, so no
 * other endpoint waits for it, and a busy endpoint's next send needs no claim first.
 */
export class SendSlots<T extends Routed = Routed> {
  private readonly lanes = new Map<string, Lane<T>>();
  private readonly byChain = new Map<string, number>();
  private held = 0;

  constructor(readonly limits: SlotLimits) {}

  /** Sends in flight. */
  get inFlight(): number {
    return this.held;
  }

  get free(): number {
    return Math.max(0, this.limits.slots - this.held);
  }

  /** Messages claimed that wait for a send of their endpoint to end. */
  get waiting(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.waiting.length;
    return n;
  }

  /** Endpoints that can take nothing more, so the claim need not read them. */
  fullEndpoints(): string[] {
    return [...this.lanes]
      .filter(([, lane]) => this.room(lane.sending, lane.waiting.length, lane.failing).total <= 0)
      .map(([id]) => id);
  }

  /**
   * Takes a slot for a message just claimed, or, when its endpoint's sends are all in flight,
   * puts it to wait for one of them; `failing` is its endpoint's state as the claim read it.
   */
  take(message: T, failing: boolean): Start {
    const lane = this.lane(message.endpointId);
    lane.failing = failing;
    if (lane.sending >= this.capOf(failing) || lane.waiting.length > 0) {
      lane.waiting.push(message);
      return 'wait';
    }
    this.hold(lane, message);
    return 'now';
  }

  /**
   * Frees the slot of a send that ended. A message waiting for its endpoint takes the slot at
   * once: answered, to be sent now.
   */
  release(message: T): T | null {
    const lane = this.lane(message.endpointId);
    lane.sending--;
    this.held--;
    bump(this.byChain, message.chainId, -1);
    const next = lane.sending < this.capOf(lane.failing) ? lane.waiting.shift() : undefined;
    if (next) this.hold(lane, next);
    else if (lane.sending === 0 && lane.waiting.length === 0) this.lanes.delete(message.endpointId);
    return next ?? null;
  }

  /** Takes back what waits for the endpoint (it failed, or the worker stops): to hand back. */
  takeBack(endpointId: string): T[] {
    const lane = this.lanes.get(endpointId);
    if (!lane) return [];
    const back = lane.waiting.splice(0);
    if (lane.sending === 0) this.lanes.delete(endpointId);
    return back;
  }

  /** Whether the endpoint has sends in flight or messages waiting. */
  busy(endpointId: string): boolean {
    return this.lanes.has(endpointId);
  }

  /** Messages waiting for the endpoint's sends. */
  waitingFor(endpointId: string): number {
    return this.lanes.get(endpointId)?.waiting.length ?? 0;
  }

  /** Every endpoint with messages waiting. */
  endpointsWaiting(): string[] {
    return [...this.lanes].filter(([, lane]) => lane.waiting.length > 0).map(([id]) => id);
  }

  /**
   * The messages to claim now, in the order they should go: first those sent at once, at most
   * the free slots, round the chains and their endpoints as the class says, none past an
   * endpoint's or a chain's room; then, for endpoints whose sends are all in flight, their next
   * oldest to wait for them.
   */
  pick(candidates: readonly DueMessage[]): DueMessage[] {
    const due = [...candidates].sort(
      (a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || cmp(a.id, b.id),
    );
    // Chains, then their endpoints, in the order of their oldest due message.
    const chains = new Map<string, { room: number; endpoints: Map<string, Queue> }>();
    for (const message of due) {
      let chain = chains.get(message.chainId);
      if (!chain) {
        const room = this.limits.perChain - (this.byChain.get(message.chainId) ?? 0);
        chain = { room, endpoints: new Map() };
        chains.set(message.chainId, chain);
      }
      let queue = chain.endpoints.get(message.endpointId);
      if (!queue) {
        const lane = this.lanes.get(message.endpointId);
        const room = this.room(lane?.sending ?? 0, lane?.waiting.length ?? 0, message.failing);
        queue = { ...room, messages: [] };
        chain.endpoints.set(message.endpointId, queue);
      }
      queue.messages.push(message);
    }
    const rounds = [...chains.values()].map((chain) => ({
      room: chain.room,
      queues: [...chain.endpoints.values()],
      next: 0,
    }));
    const chosen: DueMessage[] = [];
    let free = this.free;
    for (let progress = true; progress && free > 0;) {
      progress = false;
      for (const chain of rounds) {
        if (free === 0) break;
        if (chain.room <= 0) continue;
        // This chain's next endpoint, in turn, that has a message and a slot for it.
        for (let tried = 0; tried < chain.queues.length; tried++) {
          const queue = chain.queues[chain.next];
          chain.next = (chain.next + 1) % chain.queues.length;
          if (queue.now <= 0 || queue.messages.length === 0) continue;
          chosen.push(queue.messages.shift()!);
          queue.now--;
          queue.total--;
          chain.room--;
          free--;
          progress = true;
          break;
        }
      }
    }
    // To wait: only behind an endpoint's own sends, all in flight, so no slot is taken.
    for (const chain of rounds) {
      for (const queue of chain.queues) {
        if (queue.now > 0) continue;
        chosen.push(...queue.messages.splice(0, Math.max(0, queue.total)));
      }
    }
    return chosen;
  }

  private capOf(failing: boolean): number {
    return failing ? PER_FAILING_ENDPOINT : this.limits.perEndpoint;
  }

  /** What an endpoint may still take: `now` to send at once, `total` with those to wait. */
  private room(sending: number, waiting: number, failing: boolean) {
    const cap = this.capOf(failing);
    const now = waiting > 0 ? 0 : Math.max(0, cap - sending);
    return { now, total: cap + (failing ? 0 : this.limits.queuePerEndpoint) - sending - waiting };
  }

  private lane(endpointId: string): Lane<T> {
    let lane = this.lanes.get(endpointId);
    if (!lane) {
      lane = { sending: 0, waiting: [], failing: false };
      this.lanes.set(endpointId, lane);
    }
    return lane;
  }

  private hold(lane: Lane<T>, message: T): void {
    lane.sending++;
    this.held++;
    bump(this.byChain, message.chainId, 1);
  }
}

interface Queue {
  /** Messages it may send at once. */
  now: number;
  /** Messages it may take, those sent at once and those that wait. */
  total: number;
  messages: DueMessage[];
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
