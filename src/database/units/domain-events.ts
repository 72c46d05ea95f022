import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { auditedEventClasses, DomainEvent, EventClass } from './domain-event';
import type { Transaction } from './transaction';

/** Runs inside the change's transaction, and is handed it; a failure rolls the change back. */
export type EventHandler<E extends DomainEvent> = (event: E, tx: Transaction) => Promise<void>;

/** Runs once the change has committed; never if it rolled back. */
export type EventSubscriber<E extends DomainEvent> = (event: E) => void;

interface Registered {
  run: EventHandler<DomainEvent>;
  audits: boolean;
}

/**
 * The domain event dispatcher: events are published once, through the unit of work
 * (`Transaction.publish`), and reach two kinds of listener by class.
 * - *Required handlers* (the audit log) run inside the transaction; if one fails, the change
 *   rolls back.
 * - *After-commit subscribers* (cache invalidation and the bus) run once it commits.
 *
 * At start it checks that every `@Audited` event class has its audit handler, and refuses to
 * start otherwise, naming the classes: the HTTP app, the CLI and tests alike.
 */
@Injectable()
export class DomainEvents implements OnApplicationBootstrap {
  private readonly handlers = new Map<EventClass, Registered[]>();
  private readonly subscribers = new Map<EventClass, EventSubscriber<DomainEvent>[]>();

  /**
   * Registers a required handler for one event class. `audits` marks the audit log's own, which
   * runs after the others whatever the order they registered in: its append locks the business's
   * chain head until commit, and the other handlers' rows are taken before it, as every write
   * takes its locks (docs/design-notes.md, lock order).
   */
  handle<E extends DomainEvent>(
    type: EventClass<E>,
    handler: EventHandler<E>,
    options: { audits?: boolean } = {},
  ): void {
    const list = this.handlers.get(type) ?? [];
    list.push({ run: handler as EventHandler<DomainEvent>, audits: options.audits ?? false });
    list.sort((a, b) => Number(a.audits) - Number(b.audits));
    this.handlers.set(type, list);
  }

  /** Registers an after-commit subscriber for each of these event classes. */
  subscribe<T extends EventClass[]>(
    types: [...T],
    subscriber: EventSubscriber<InstanceType<T[number]>>,
  ): void {
    for (const type of types) {
      const list = this.subscribers.get(type) ?? [];
      list.push(subscriber as EventSubscriber<DomainEvent>);
      this.subscribers.set(type, list);
    }
  }

  /** Runs the event's required handlers, in order, in the transaction. */
  async dispatch(event: DomainEvent, tx: Transaction): Promise<void> {
    for (const handler of this.handlers.get(event.constructor as EventClass) ?? []) {
      await handler.run(event, tx);
    }
  }

  /** The event's after-commit subscribers. */
  subscribersOf(event: DomainEvent): readonly EventSubscriber<DomainEvent>[] {
    return this.subscribers.get(event.constructor as EventClass) ?? [];
  }

  /** Audited event classes without an audit handler; empty when all is well. */
  unaudited(): EventClass[] {
    return auditedEventClasses().filter(
      (type) => !(this.handlers.get(type) ?? []).some((h) => h.audits),
    );
  }

  onApplicationBootstrap(): void {
    this.assertAudited();
  }

  /** Throws, naming them, when audited event classes have no audit handler. */
  assertAudited(): void {
    const missing = this.unaudited();
    if (missing.length > 0) {
      throw new Error(
        `Audited events without an audit handler: ${missing.map((t) => t.name).join(', ')}. ` +
          'Import AuditModule (the core modules) wherever changes are made.',
      );
    }
  }
}
