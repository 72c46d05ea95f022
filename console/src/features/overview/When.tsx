import { relative } from '../../ui/Time';

/** "2026-11-28 14:05 UTC". */
export function utcMinute(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * An instant in UTC to the minute, the zone shown, and how far it is from now beside it:
 * "2026-12-01 09:00 UTC · in 3 days".
 */
export function When({ iso, empty = '—' }: { iso: string | null | undefined; empty?: string }) {
  if (!iso) return <span className="muted">{empty}</span>;
  return (
    <span className="when">
      <time dateTime={iso}>{utcMinute(iso)}</time>
      <span className="muted"> · {relative(iso)}</span>
    </span>
  );
}
