/** The text controls the token forms repeat, each given its Field's props (id, hint, error). */

interface Props {
  value: string;
  onChange: (value: string) => void;
}

/** A whole number, typed (a field that may be empty: the state is its text). */
export function NumberInput({
  min = 1,
  max,
  required,
  disabled,
  value,
  onChange,
  ...field
}: Props & { min?: number; max?: number; required?: boolean; disabled?: boolean; id: string }) {
  return (
    <input
      {...field}
      className="input"
      type="number"
      inputMode="numeric"
      min={min}
      max={max}
      step={1}
      required={required}
      disabled={disabled}
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
    />
  );
}

/** A list, one entry a line (networks, meta's JSON): monospace. */
export function ListArea({
  rows = 2,
  value,
  onChange,
  ...field
}: Props & { rows?: number; id: string }) {
  return (
    <textarea
      {...field}
      className="input mono"
      rows={rows}
      spellCheck={false}
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
    />
  );
}

/** One line of text. */
export function TextInput({ value, onChange, ...field }: Props & { id: string }) {
  return (
    <input
      {...field}
      className="input"
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
    />
  );
}
