import { OnEvent } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';

/** Who caused a change: a person, a machine, or the system itself (bootstrap, CLI). */
export interface EventActor {
  id: string | null;
  type: 'user' | 'machine' | 'system';
  label: string;
  /** The token the actor acted with; absent for the system and the CLI. */
  tokenId?: string | null;
  /**
   * Who issued that token. A token made for someone else (a member's first token) acts as that
   * someone; this traces it back to its maker.
   */
  issuedBy?: { id: string | null; label: string } | null;
}

/** The way in: an HTTP request, a shell command, or the server itself (first-start bootstrap). */
export type EventChannel = 'api' | 'cli' | 'system';

/** Where a change came from, for the audit trail. */
export interface EventOrigin {
  channel: EventChannel;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** Who makes a change, and from where. */
export interface Author {
  actor: EventActor;
  origin: EventOrigin;
}

/** The author of changes the server makes by itself: the platform admin made at first start. */
export const SYSTEM_AUTHOR: Author = {
  actor: { id: null, type: 'system', label: 'system' },
  origin: { channel: 'system', requestId: null, ip: null, userAgent: null },
};

/** The installation's operator at a shell (`npm run cli`). */
export const CLI_AUTHOR: Author = {
  actor: { id: null, type: 'system', label: 'cli' },
  origin: { channel: 'cli', requestId: null, ip: null, userAgent: null },
};

/**
 * A change that happened inside a unit of work. Listeners receive it while the transaction is
 * still open and write through `manager`, so that their writes commit or roll back with it.
 */
export abstract class DomainEvent {
  /** The event-emitter name, e.g. `member.added`. */
  abstract readonly name: string;

  declare readonly manager: EntityManager;

  /** Who made the change, and from where. */
  protected constructor(readonly author: Author) {}

  /** Binds the event to the transaction it is emitted in. Not enumerable: never serialized. */
  bind(manager: EntityManager): this {
    Object.defineProperty(this, 'manager', { value: manager, enumerable: false });
    return this;
  }
}

/**
 * Listens to a domain event inside its unit of work. Errors propagate (event-emitter's default
 * would log and swallow them), so a listener that cannot write rolls the change back.
 */
export const OnDomainEvent = (name: string) => OnEvent(name, { suppressErrors: false });
