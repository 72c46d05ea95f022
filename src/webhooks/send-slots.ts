/** A due message as the claim reads it: enough to choose, before anything is taken. */
export interface DueMessage {
  id: string;
  endpointId: string;
  chainId: string;
  nextAttemptAt: Date;
  /** Its endpoint has failed since its last delivery (`failing_since`). */
  failing: boolean;
}

export interface SlotLimits {
  /** Sends in flight at once on this instance, all endpoints together. */
  slots: number;
  /** Sends in flight at once to one endpoint that delivers. */
  perEndpoint: number;
  /** Sends in flight at once from one chain (a business, or the platform). */
  perChain: number;
}

/** An endpoint that is failing gets one send at a time, whatever `perEndpoint` says. */
export const PER_FAILING_ENDPOINT = 1;

/**
 * One instance's send slots, and who may take the free ones. A send holds its slot from its claim
 * until it ends, so a receiver that hangs holds only its own: at most `perEndpoint` for one
 * endpoint (one while it is failing) and `perChain` for one business, so the others always find
 * slots free. Free slots go round the chains that have due messages, the longest waiting first,
 * and within a chain round its endpoints, each endpoint's oldest due message first: one business
 * with a deep backlog takes one turn in each round, as a business with one fresh message does.
 */
export class SendSlots {
  private readonly byEndpoint = new Map<string, number>();
  private readonly byChain = new Map<string, number>();
  private held = 0;

  constructor(readonly limits: SlotLimits) {}

  get inFlight(): number {
    return this.held;
  }

  get free(): number {
    return Math.max(0, this.limits.slots - this.held);
  }

  /** Endpoints with no slot left whatever their state, so the claim need not read them. */
  fullEndpoints(): string[] {
    return [...this.byEndpoint].filter(([, n]) => n >= this.limits.perEndpoint).map(([id]) => id);
  }

  take(message: { endpointId: string; chainId: string }): void {
    this.held++;
    bump(this.byEndpoint, message.endpointId, 1);
    bump(this.byChain, message.chainId, 1);
  }

  release(message: { endpointId: string; chainId: string }): void {
    this.held--;
    bump(this.byEndpoint, message.endpointId, -1);
    bump(this.byChain, message.chainId, -1);
  }

  /**
   * The messages to claim now, in the order they should go: at most the free slots, round the
   * chains and their endpoints as the class says, none past an endpoint's or a chain's room.
   */
  pick(candidates: readonly DueMessage[]): DueMessage[] {
    const waiting = [...candidates].sort(
      (a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || cmp(a.id, b.id),
    );
    // Chains, then their endpoints, in the order of their oldest due message.
    const chains = new Map<string, { room: number; endpoints: Map<string, Queue> }>();
    for (const message of waiting) {
      let chain = chains.get(message.chainId);
      if (!chain) {
        const room = this.limits.perChain - (this.byChain.get(message.chainId) ?? 0);
        chain = { room, endpoints: new Map() };
        chains.set(message.chainId, chain);
      }
      let queue = chain.endpoints.get(message.endpointId);
      if (!queue) {
        const cap = message.failing ? PER_FAILING_ENDPOINT : this.limits.perEndpoint;
        queue = { room: cap - (this.byEndpoint.get(message.endpointId) ?? 0), messages: [] };
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
        // This chain's next endpoint, in turn, that has a message and room for it.
        for (let tried = 0; tried < chain.queues.length; tried++) {
          const queue = chain.queues[chain.next];
          chain.next = (chain.next + 1) % chain.queues.length;
          if (queue.room <= 0 || queue.messages.length === 0) continue;
          chosen.push(queue.messages.shift()!);
          queue.room--;
          chain.room--;
          free--;
          progress = true;
          break;
        }
      }
    }
    return chosen;
  }
}

interface Queue {
  room: number;
  messages: DueMessage[];
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
