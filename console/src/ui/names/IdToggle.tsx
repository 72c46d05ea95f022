import { Id } from '../lists/Table';

/** An id, one click away: a disclosure that shows it, selectable, under the name it belongs to. */
export function IdToggle({ id, of }: { id: string; of: string }) {
  return (
    <details className="id-toggle">
      <summary aria-label={`Show id of ${of}`}>show id</summary>
      <Id>{id}</Id>
    </details>
  );
}
