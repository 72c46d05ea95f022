import { Field } from './Field';

export type TokenStatusFilter = '' | 'active' | 'expired' | 'revoked';
export type TokenSort = 'created_at' | 'last_used_at';

/** The status filter of a token list: any, or one of the derived statuses. */
export function StatusField({
  value,
  onChange,
}: {
  value: TokenStatusFilter;
  onChange: (value: TokenStatusFilter) => void;
}) {
  return (
    <Field label="Status">
      {(p) => (
        <select
          {...p}
          className="input"
          value={value}
          onChange={(e) => onChange(e.currentTarget.value as TokenStatusFilter)}
        >
          <option value="">Any</option>
          <option value="active">Active</option>
          <option value="expired">Expired</option>
          <option value="revoked">Revoked</option>
        </select>
      )}
    </Field>
  );
}

/** The name-prefix filter ("Starts with", so it is never confused with a form's Name). */
export function PrefixField({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  return (
    <Field label="Starts with" hint="The beginning of the token's name.">
      {(p) => (
        <input
          {...p}
          className="input"
          value={value}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}

/** The list's order: by creation, or least recently used first (`sort=last_used_at`). */
export function SortField({
  value,
  onChange,
}: {
  value: TokenSort;
  onChange: (value: TokenSort) => void;
}) {
  return (
    <Field label="Sort by">
      {(p) => (
        <select
          {...p}
          className="input"
          value={value}
          onChange={(e) => onChange(e.currentTarget.value as TokenSort)}
        >
          <option value="created_at">Created (oldest first)</option>
          <option value="last_used_at">Last use (least recent first)</option>
        </select>
      )}
    </Field>
  );
}
