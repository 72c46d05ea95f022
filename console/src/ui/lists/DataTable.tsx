import type { ReactNode } from 'react';

export interface Column<T> {
  /** The header, and each cell's label when rows become cards on a phone. */
  header: string;
  cell: (row: T) => ReactNode;
  /** The row's name: a row header, the card's title on a phone. */
  primary?: boolean;
  /** The Actions column: never squeezed, its buttons wrap rather than clip. */
  actions?: boolean;
}

/**
 * A list as a table. At 1280 px the columns share the page's width, their text wrapping, so
 * nothing is clipped and the Actions column stays in view; on a phone (styles.css, at most
 * 640 px) each row becomes a card, each cell labelled with its column's header, and nothing
 * scrolls sideways. The wrapper is a named region, focusable so a keyboard can scroll it.
 */
export function DataTable<T>({
  label,
  columns,
  rows,
  rowKey,
}: {
  label: string;
  columns: (Column<T> | false | null | undefined)[];
  rows: T[];
  rowKey: (row: T) => string;
}) {
  const shown = columns.filter((c): c is Column<T> => Boolean(c));
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table className="table cards">
        <thead>
          <tr>
            {shown.map((c) => (
              <th key={c.header} scope="col" className={c.actions ? 'col-actions' : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {shown.map((c) =>
                c.primary ? (
                  <th key={c.header} scope="row" className="cell-primary">
                    {c.cell(row)}
                  </th>
                ) : (
                  <td
                    key={c.header}
                    data-label={c.header}
                    className={c.actions ? 'col-actions' : undefined}
                  >
                    {c.actions ? <div className="row-actions">{c.cell(row)}</div> : c.cell(row)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
