import type { FormEvent, ReactNode } from 'react';
import { Field } from '../forms/Field';

/**
 * What a list is narrowed and ordered by: a search box first, then selects. A search landmark,
 * which nothing submits (each control applies as it changes).
 */
export function Toolbar({ label, children }: { label: string; children: ReactNode }) {
  return (
    <form
      className="toolbar"
      role="search"
      aria-label={label}
      onSubmit={(e: FormEvent) => e.preventDefault()}
    >
      {children}
    </form>
  );
}

export function SearchField({
  value,
  onChange,
  hint,
  label = 'Search',
}: {
  value: string;
  onChange: (value: string) => void;
  hint: string;
  label?: string;
}) {
  return (
    <Field label={label} hint={hint} className="toolbar-search">
      {(p) => (
        <input
          {...p}
          className="input"
          type="search"
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}

/** A select of values, each with its label; `''` is "any" when `any` names it. */
export function SelectField<V extends string>({
  label,
  value,
  options,
  onChange,
  any,
}: {
  label: string;
  value: V | '';
  options: readonly (readonly [V, string])[];
  onChange: (value: V | '') => void;
  any?: string;
}) {
  return (
    <Field label={label}>
      {(p) => (
        <select
          {...p}
          className="input"
          value={value}
          onChange={(e) => onChange(e.currentTarget.value as V | '')}
        >
          {any !== undefined && <option value="">{any}</option>}
          {options.map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/**
 * "Sort by" over a screen's table of orders (`{key: [label, compare]}`); leaving it empty goes
 * back to `newest`, which every such table has.
 */
export function SortField<K extends string>({
  sorts,
  value,
  onChange,
}: {
  sorts: Record<K | 'newest', readonly [string, unknown]>;
  value: K | 'newest';
  onChange: (value: K | 'newest') => void;
}) {
  const options = Object.entries<readonly [string, unknown]>(sorts).map(
    ([key, [label]]) => [key as K | 'newest', label] as const,
  );
  return (
    <SelectField
      label="Sort by"
      value={value}
      options={options}
      onChange={(v) => onChange(v || 'newest')}
    />
  );
}
