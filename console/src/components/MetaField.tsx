import { Field } from './Field';

/** A token's meta, typed as a JSON object. */
export function MetaField({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange: (text: string) => void;
  error: string | null;
}) {
  return (
    <Field
      label="Meta"
      hint='Your own data about the token, a JSON object (at most 4 KiB), e.g. {"team": "payments"}. Empty: none.'
      error={error}
      className="span-2"
    >
      {(p) => (
        <textarea
          {...p}
          className="input mono"
          rows={3}
          spellCheck={false}
          value={value}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}

/** A token's meta, shown read-only: JSON as text, never as markup. */
export function MetaView({ meta }: { meta: Record<string, unknown> | null }) {
  if (!meta) return <span className="muted">none</span>;
  return (
    <pre className="pre meta" aria-label="Meta" tabIndex={0}>
      {JSON.stringify(meta, null, 2)}
    </pre>
  );
}
