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
  /** The caller's own `x-request-id`, when it sent a safe one: kept beside ours, never for it. */
  clientRequestId?: string | null;
  ip: string | null;
  userAgent: string | null;
}

/**
 * Where a request came from, as the verifier is given it: also the client address exactly as
 * TRUST_PROXY names it, null when what it names is not an address. `ip` falls back to the peer
 * then (logs and limits count such clients together); a token's networks are held to this.
 */
export interface RequestOrigin extends EventOrigin {
  readonly namedIp: string | null;
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
 * A change that happened inside a unit of work. Events are classes, and are dispatched by
 * class (`DomainEvents`): a handler names the class it handles, so the compiler checks it.
 */
export abstract class DomainEvent {
  /** The action it is recorded as in the audit log, e.g. `member.added`. Data, not a key. */
  abstract readonly name: string;

  /** Who made the change, and from where. */
  protected constructor(readonly author: Author) {}
}

/** A concrete event class, the key handlers and subscribers register under. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventClass<E extends DomainEvent = DomainEvent> = new (...args: any[]) => E;

/**
 * How an event reads as an audit entry: the chain it goes to (its business, or null for the
 * platform's), what it acted on, and what else the entry keeps. Declared once, on the event's
 * class (`@Audited`); the audit log gathers the declarations and writes them.
 */
export interface AuditedAs {
  businessId: string | null;
  target: { type: string; id: string | null; label: string | null };
  metadata: Record<string, unknown>;
  /** `success` unless said otherwise. */
  outcome?: 'success' | 'failure';
}

const AUDITED = new Map<EventClass, (event: DomainEvent) => AuditedAs>();

/**
 * Marks an event class that the audit log must record, and says how it reads there. A process
 * in which such a class has no audit handler refuses to start (`DomainEvents`), naming the class:
 * nothing audited can be emitted into the void.
 */
export function Audited<E extends DomainEvent>(describe: (event: E) => AuditedAs) {
  return (target: EventClass<E>): void => {
    AUDITED.set(target, describe as (event: DomainEvent) => AuditedAs);
  };
}

/** Every event class marked `@Audited` that has been loaded. */
export function auditedEventClasses(): readonly EventClass[] {
  return [...AUDITED.keys()];
}

/** How this event reads as an audit entry; throws for an event class that is not audited. */
export function auditedAs(event: DomainEvent): AuditedAs {
  const describe = AUDITED.get(event.constructor as EventClass);
  if (!describe) throw new Error(`${event.constructor.name} is not an audited event`);
  return describe(event);
}
