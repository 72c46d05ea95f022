/**
 * Times typed in the console are UTC, as every time it shows is (ISO 8601, in titles and
 * details): a datetime-local field, whose value is read as UTC and whose zone is shown beside it,
 * never the viewer's own zone.
 */

/** A datetime-local value ("2026-11-28T14:05"), read as UTC, as an RFC 3339 instant. */
export function utcToIso(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return undefined;
  const t = new Date(`${value}Z`);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

/** An instant as a datetime-local value in UTC, to the minute ('' for none). */
export function isoToUtc(iso: string | null | undefined): string {
  if (!iso) return '';
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? '' : t.toISOString().slice(0, 16);
}

/** A date and time field in UTC, the zone shown after it. `p` is its Field's props. */
export function UtcDateTimeInput({
  value,
  onChange,
  ...p
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <span className="with-zone">
      <input
        {...p}
        className="input"
        type="datetime-local"
        value={value}
        onChange={(e) => onChange(e.currentTarget.value)}
      />
      <span className="zone" aria-hidden="true">
        UTC
      </span>
    </span>
  );
}
