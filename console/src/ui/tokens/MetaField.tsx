import { Field } from '../forms/Field';
import { ListArea } from '../forms/inputs';

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
      {(p) => <ListArea {...p} rows={3} value={value} onChange={onChange} />}
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
