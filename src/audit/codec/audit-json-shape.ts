import { AUDIT_FIELD_LIST, AuditField, AuditFieldType } from './audit-fields';

/**
 * The JSON object of one event, as AUDIT_FIELDS' paths nest it: `actor`, `target` and
 * `actor.issued_by` are objects, the other fields top-level keys. The NDJSON line and the page
 * view write its keys in declared order; the hashed bytes (RFC 8785) in sorted order.
 */
export interface JsonLeaf {
  key: string;
  field: AuditField;
}

export interface JsonGroup {
  key: string;
  members: JsonNode[];
  /** The field without which the object is left out (`issued_by` without a token). */
  presentWith: number | null;
  /** The field whose null makes the object null (`issued_by` without a label). */
  nullWhenNull: number | null;
}

export type JsonNode = JsonLeaf | JsonGroup;

export const isLeaf = (node: JsonNode): node is JsonLeaf => 'field' in node;

const indexOf = (path: string) => {
  const field = AUDIT_FIELD_LIST.find((f) => f.path === path);
  if (!field) throw new Error(`AUDIT_FIELDS names no field ${path}`);
  return field.index;
};

function groupAt(parent: JsonGroup, key: string): JsonGroup {
  const found = parent.members.find((m) => m.key === key);
  if (found && !isLeaf(found)) return found;
  if (found) throw new Error(`AUDIT_FIELDS: ${key} is both a field and an object`);
  const group: JsonGroup = { key, members: [], presentWith: null, nullWhenNull: null };
  parent.members.push(group);
  return group;
}

/** The event's object for these fields, keys in the order the NDJSON line writes them. */
function treeOf(fields: readonly AuditField[]): JsonGroup {
  const root: JsonGroup = { key: '', members: [], presentWith: null, nullWhenNull: null };
  for (const field of fields) {
    const keys = field.path.split('.');
    let group = root;
    for (const key of keys.slice(0, -1)) group = groupAt(group, key);
    if (field.presentWith !== undefined) {
      const at = indexOf(field.presentWith);
      if (group === root || (group.presentWith !== null && group.presentWith !== at)) {
        throw new Error(`AUDIT_FIELDS: ${field.path} and its object disagree on presentWith`);
      }
      group.presentWith = at;
    }
    if (field.whenNull === 'null-group') group.nullWhenNull = field.index;
    group.members.push({ key: keys[keys.length - 1], field });
  }
  for (const field of fields) {
    if (field.jsonAfter === undefined) continue;
    const [member] = root.members.splice(topLevel(root, field.path), 1);
    root.members.splice(topLevel(root, field.jsonAfter) + 1, 0, member);
  }
  return root;
}

function topLevel(root: JsonGroup, key: string): number {
  const at = root.members.findIndex((m) => m.key === key);
  if (at < 0) throw new Error(`AUDIT_FIELDS: jsonAfter names ${key}, which is no top-level key`);
  return at;
}

/** Every field: the NDJSON line and the page view. */
export const EVENT_TREE = treeOf(AUDIT_FIELD_LIST);
/** The hashed fields: what the chain hashes after `prev_hash`. */
export const HASHED_TREE = treeOf(AUDIT_FIELD_LIST.filter((f) => f.hashed !== false));

/**
 * The fields whose null changes which keys an event has. A row's shape is the bit set of those
 * that are not null, and each shape has its own flat plan, built once.
 */
export const SHAPE_FIELDS = [
  ...new Set(
    AUDIT_FIELD_LIST.flatMap((f) => [
      ...(f.whenNull === 'absent' || f.whenNull === 'null-group' ? [f.index] : []),
      ...(f.presentWith !== undefined ? [indexOf(f.presentWith)] : []),
    ]),
  ),
];

export function shapeOf(row: readonly unknown[]): number {
  let shape = 0;
  for (let bit = 0; bit < SHAPE_FIELDS.length; bit++) {
    if (row[SHAPE_FIELDS[bit]] !== null) shape |= 1 << bit;
  }
  return shape;
}

const isNullIn = (shape: number, field: number) =>
  (shape & (1 << SHAPE_FIELDS.indexOf(field))) === 0;

/**
 * An event's JSON for one shape, flattened: `literals[0] + value(slots[0]) + literals[1] + …`,
 * where each slot is a field's index and `types` says how its value is written.
 */
export interface JsonPlan {
  literals: string[];
  slots: number[];
  types: AuditFieldType[];
}

export function planOf(tree: JsonGroup, shape: number, sortKeys: boolean): JsonPlan {
  const plan: JsonPlan = { literals: [], slots: [], types: [] };
  let text = '';
  const visit = (group: JsonGroup) => {
    text += '{';
    const members = sortKeys
      ? // Array.prototype.sort compares UTF-16 code units, the order RFC 8785 prescribes.
        [...group.members].sort((a, b) => (a.key < b.key ? -1 : 1))
      : group.members;
    let first = true;
    for (const member of members) {
      if (isLeaf(member)) {
        if (member.field.whenNull === 'absent' && isNullIn(shape, member.field.index)) continue;
      } else if (member.presentWith !== null && isNullIn(shape, member.presentWith)) continue;
      text += `${first ? '' : ','}${JSON.stringify(member.key)}:`;
      first = false;
      if (!isLeaf(member)) {
        if (member.nullWhenNull !== null && isNullIn(shape, member.nullWhenNull)) text += 'null';
        else visit(member);
        continue;
      }
      plan.literals.push(text);
      plan.slots.push(member.field.index);
      plan.types.push(member.field.type);
      text = '';
    }
    text += '}';
  };
  visit(tree);
  plan.literals.push(text);
  return plan;
}

/**
 * Reads an event's JSON object (a parsed NDJSON line, a page view) into a row, in column order.
 * It refuses what the codec never writes: a key it does not know or one missing, a value of
 * the wrong type, `origin` or `token_id` present as null, `issued_by` without a token. Any line
 * it reads is then written back, and hashed, to the same bytes as RFC 8785 would write it.
 */
export function rowOfJson(value: unknown, tree: JsonGroup = EVENT_TREE): unknown[] | null {
  const row: unknown[] = new Array<unknown>(AUDIT_FIELD_LIST.length).fill(null);
  return readGroup(tree, value, row) ? row : null;
}

function readGroup(group: JsonGroup, value: unknown, row: unknown[]): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const object = value as Record<string, unknown>;
  let keys = 0;
  for (const member of group.members) {
    // A key set to undefined is no key, as JSON.stringify and canonicalJson leave it out.
    const item = Object.hasOwn(object, member.key) ? object[member.key] : undefined;
    const leaf = isLeaf(member);
    const allowed = leaf || member.presentWith === null || row[member.presentWith] !== null;
    const needed = leaf ? member.field.whenNull !== 'absent' : allowed;
    if (item === undefined) {
      if (needed) return false;
      continue;
    }
    keys++;
    if (!allowed) return false;
    if (leaf) {
      if (!accepts(member.field, item)) return false;
      row[member.field.index] = item;
    } else if (item === null) {
      if (member.nullWhenNull === null) return false;
    } else if (!readGroup(member, item, row)) {
      return false;
    }
  }
  const own = Object.keys(object);
  return own.length === keys || own.filter((k) => object[k] !== undefined).length === keys;
}

function accepts(field: AuditField, value: unknown): boolean {
  switch (field.type) {
    case 'integer':
      return typeof value === 'number' && Number.isFinite(value);
    case 'json':
      return true;
    case 'instant':
      return typeof value === 'string';
    case 'uuid':
    case 'text':
    case 'sha256':
      return (
        typeof value === 'string' ||
        (value === null && field.nullable === true && (field.whenNull ?? 'null') === 'null')
      );
  }
}
