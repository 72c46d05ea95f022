/**
 * The one declaration of an audit event's fields: the entity's columns, the raw rows' SELECT,
 * the hashed canonical bytes, the NDJSON line, the CSV, the page view and the offline verifier
 * all derive from this table (docs/architecture.md, the audit codec). A field's `path` is its
 * place in the API's view (`actor.issued_by.id`), its column the path with `_` for `.`, its
 * entity property that column in camelCase; the table's order is the column order.
 *
 * The hashes of every chain ever written depend on this table: a field may be added only as
 * `whenNull: 'absent'`, so that events written before it hash as they did.
 */
export const AUDIT_OUTCOMES = ['success', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** How a value is stored and written: its column type, and its JSON and CSV form. */
export type AuditFieldType = 'uuid' | 'text' | 'integer' | 'instant' | 'json' | 'sha256';

export interface AuditFieldSpec {
  readonly path: string;
  readonly type: AuditFieldType;
  /** The column's length, for text. */
  readonly length?: number;
  readonly nullable?: boolean;
  /**
   * What a null becomes in the event: `null` (the default); `absent`, the key left out (fields
   * that events written before them lack); or `null-group`, the whole enclosing object null.
   */
  readonly whenNull?: 'null' | 'absent' | 'null-group';
  /** The enclosing object appears only when this field is not null (and is left out otherwise). */
  readonly presentWith?: string;
  /** In the event's JSON, the key comes right after this top-level key, not in column order. */
  readonly jsonAfter?: string;
  /** False for the chain's links, which are not part of the hashed bytes. */
  readonly hashed?: boolean;
  /** The values the app writes (a stored row may hold others; readers never refuse them). */
  readonly values?: readonly string[];
}

export const AUDIT_FIELDS = [
  { path: 'id', type: 'uuid' },
  { path: 'seq', type: 'integer' },
  { path: 'business_id', type: 'uuid', nullable: true },
  /** Set by the app with milliseconds, never by the database, so every driver hashes alike. */
  { path: 'occurred_at', type: 'instant' },
  { path: 'action', type: 'text', length: 64 },
  { path: 'outcome', type: 'text', length: 16, values: AUDIT_OUTCOMES },
  { path: 'actor.id', type: 'text', length: 36, nullable: true },
  { path: 'actor.type', type: 'text', length: 16 },
  { path: 'actor.label', type: 'text', length: 340 },
  /** The token the actor acted with: null for the system and the CLI, and before it was kept. */
  { path: 'actor.token_id', type: 'text', length: 36, nullable: true, whenNull: 'absent' },
  /** Who issued that token; `issued_by` is null when its label is. */
  {
    path: 'actor.issued_by.id',
    type: 'text',
    length: 36,
    nullable: true,
    presentWith: 'actor.token_id',
  },
  {
    path: 'actor.issued_by.label',
    type: 'text',
    length: 340,
    nullable: true,
    presentWith: 'actor.token_id',
    whenNull: 'null-group',
  },
  /** The way in (`api`, `cli`, `system`); null only before it was kept. */
  {
    path: 'origin',
    type: 'text',
    length: 16,
    nullable: true,
    whenNull: 'absent',
    jsonAfter: 'occurred_at',
  },
  { path: 'target.type', type: 'text', length: 32 },
  { path: 'target.id', type: 'text', length: 36, nullable: true },
  { path: 'target.label', type: 'text', length: 340, nullable: true },
  { path: 'request_id', type: 'text', length: 128, nullable: true },
  { path: 'ip', type: 'text', length: 64, nullable: true },
  { path: 'user_agent', type: 'text', length: 512, nullable: true },
  /** Plain JSON data, stored as canonical JSON text: a reason, the filters used, ids touched. */
  { path: 'metadata', type: 'json' },
  { path: 'prev_hash', type: 'sha256', hashed: false },
  { path: 'hash', type: 'sha256', hashed: false },
] as const satisfies readonly AuditFieldSpec[];

type Field = (typeof AUDIT_FIELDS)[number];
type Snake<P extends string> = P extends `${infer A}.${infer B}` ? `${A}_${Snake<B>}` : P;
type Camel<S extends string> = S extends `${infer A}_${infer B}`
  ? `${A}${Capitalize<Camel<B>>}`
  : S;

/** A column of `audit_events` that holds a field of the event (all but `chain_id`). */
export type AuditColumn = Snake<Field['path']>;

/** A field as the code reads it: its column, its entity property, and its place in the table. */
export interface AuditField extends AuditFieldSpec {
  readonly index: number;
  readonly column: AuditColumn;
  readonly property: string;
}

export const AUDIT_FIELD_LIST: readonly AuditField[] = AUDIT_FIELDS.map((spec, index) => {
  const column = spec.path.replace(/\./g, '_') as AuditColumn;
  const property = column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return { ...spec, index, column, property };
});

/** The columns in order: the CSV header, and the SELECT list of raw reads. */
export const AUDIT_COLUMNS = AUDIT_FIELD_LIST.map((f) => f.column) as readonly AuditColumn[];

/** Each column's index in a raw row, computed once: `row[COLUMN.prev_hash]`. */
export const COLUMN = Object.fromEntries(AUDIT_FIELD_LIST.map((f) => [f.column, f.index])) as {
  readonly [C in AuditColumn]: number;
};

type EntityValue<F extends Field> = F extends { values: readonly (infer V)[] }
  ? V
  : F['type'] extends 'integer'
    ? number
    : F['type'] extends 'instant'
      ? Date
      : string;
type OrNull<F, T> = F extends { nullable: true } ? T | null : T;

/** The stored event, one property per field: what the entity holds besides its chain id. */
export type AuditEventFields = {
  -readonly [F in Field as Camel<Snake<F['path']>>]: OrNull<F, EntityValue<F>>;
};

// The event as the API shows it, built from the paths: the nested JSON object of one event.
type Head<P extends string> = P extends `${infer H}.${string}` ? H : P;
type Under<F, H extends string> = F extends { path: `${H}.${infer R}` }
  ? Omit<F, 'path'> & { path: R }
  : never;
type WireValue<F> = F extends { type: 'integer' }
  ? number
  : F extends { type: 'json' }
    ? Record<string, unknown>
    : string;
type Leaf<F> = F extends { whenNull: 'absent' | 'null-group' }
  ? WireValue<F>
  : OrNull<F, WireValue<F>>;
type Member<F extends { path: string }, K extends string> = [Extract<F, { path: K }>] extends [
  never,
]
  ? Group<Under<F, K>>
  : Leaf<Extract<F, { path: K }>>;
/** The fields directly in an object, not in one nested inside it. */
type Direct<F> = F extends { path: `${string}.${string}` } ? never : F;
type Group<F extends { path: string }> =
  Shape<F> | ([Extract<Direct<F>, { whenNull: 'null-group' }>] extends [never] ? never : null);
type Optional<F extends { path: string }, K extends string> = [
  | Extract<F, { path: K; whenNull: 'absent' }>
  | Extract<Direct<Under<F, K>>, { presentWith: string }>,
] extends [never]
  ? false
  : true;
type Shape<F extends { path: string }> = {
  [K in Head<F['path']> as Optional<F, K> extends true ? never : K]: Member<F, K>;
} & {
  [K in Head<F['path']> as Optional<F, K> extends true ? K : never]?: Member<F, K>;
};
type Flat<T> = T extends object ? { [K in keyof T]: Flat<T[K]> } : T;

/** An event as the API, the NDJSON export and the offline verifier see it, hashes included. */
export type AuditEventView = Flat<Shape<Field>>;
/** What is hashed: the event without `prev_hash` and `hash`. */
export type ChainedEvent = Flat<Shape<Exclude<Field, { hashed: false }>>>;
