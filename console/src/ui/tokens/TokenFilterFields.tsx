import type { Directory } from '../../api/directory';
import type { TokenSort, TokenStatus } from '../../api/resources/tokens.api';
import { Field } from '../forms/Field';
import { SelectField } from '../lists/Toolbar';

const STATUSES = [
  ['active', 'Active'],
  ['disabled', 'Disabled'],
  ['expired', 'Expired'],
  ['revoked', 'Revoked'],
] as const;

/** The status filter of a token list: any, or one of the derived statuses. */
export function StatusField({
  value,
  onChange,
}: {
  value: TokenStatus | '';
  onChange: (value: TokenStatus | '') => void;
}) {
  return (
    <SelectField label="Status" value={value} options={STATUSES} onChange={onChange} any="Any" />
  );
}

const SORTS = [
  ['-created_at', 'Newest first'],
  ['created_at', 'Oldest first'],
  ['last_used_at', 'Least recently used'],
] as const;

/** A token list's order: by creation (newest or oldest first), or least recently used first. */
export function SortTokensField({
  value,
  onChange,
}: {
  value: TokenSort;
  onChange: (value: TokenSort) => void;
}) {
  return (
    <SelectField
      label="Sort by"
      value={value}
      options={SORTS}
      onChange={(v) => onChange(v || '-created_at')}
    />
  );
}

/** Whose tokens: anyone's, the caller's, or one person's or machine's, picked by name. */
export function HolderField({
  value,
  onChange,
  directory,
  me,
  label = 'Holder',
}: {
  value: string;
  onChange: (id: string) => void;
  directory: Directory;
  me: string;
  label?: string;
}) {
  const people = directory.members.filter((m) => m.identity_id !== me);
  return (
    <Field label={label}>
      {(p) => (
        <select
          {...p}
          className="input"
          value={value}
          onChange={(e) => onChange(e.currentTarget.value)}
        >
          <option value="">Anyone</option>
          <option value={me}>You</option>
          {people.length > 0 && (
            <optgroup label="People">
              {people.map((m) => (
                <option key={m.identity_id} value={m.identity_id}>
                  {m.email ?? m.name ?? 'unnamed'}
                </option>
              ))}
            </optgroup>
          )}
          {directory.machines.length > 0 && (
            <optgroup label="Machines">
              {directory.machines.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
            </optgroup>
          )}
        </select>
      )}
    </Field>
  );
}
