import { Clip } from './Clip';

/**
 * A principal or object by its name, with its kind beside it: the audit log labels a machine
 * `machine:deploy-bot`, and its type already says "machine", so the name is shown once.
 */
export function nameOf(type: string, label: string | null | undefined): string {
  if (!label) return '';
  return label.startsWith(`${type}:`) ? label.slice(type.length + 1) : label;
}

export function Named({
  type,
  label,
  kind = true,
}: {
  type: string;
  label: string | null | undefined;
  /** Show the kind ("machine", "token", …) before the name; a person needs none. */
  kind?: boolean;
}) {
  const name = nameOf(type, label);
  return (
    <span className="named">
      {kind && <span className="kind">{type}</span>}
      {name && <Clip text={name} />}
    </span>
  );
}
