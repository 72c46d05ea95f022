import type { ReactNode } from 'react';
import type { TokenView } from '../../api/types';
import { Clip } from '../../ui/names/Clip';
import { IdToggle } from '../../ui/names/IdToggle';
import { DataTable } from '../../ui/lists/DataTable';
import { Empty } from '../../ui/Status';
import { Link, paths } from '../../router';
import type { Answer } from '../../api/resources/analytics.api';
import { outcomeLabel } from '../../ui/charts/series';

const number = new Intl.NumberFormat('en');
/** Rows each top list shows. */
export const TOP = 10;

/** One token's or identity's verifications over the window, by outcome. */
export interface TopRow {
  /** Null: verifications of no known token (the platform's unknown tokens). */
  id: string | null;
  identityId: string | null;
  total: number;
  outcomes: Map<string, number>;
}

function rank(answer: Answer | undefined, of: 'token_id' | 'identity_id'): TopRow[] {
  const rows = new Map<string | null, TopRow>();
  for (const b of answer?.buckets ?? []) {
    for (const c of b.counts) {
      const id = c[of] ?? null;
      const row = rows.get(id) ?? {
        id,
        identityId: c.identity_id ?? null,
        total: 0,
        outcomes: new Map<string, number>(),
      };
      row.total += c.count;
      const o = c.outcome ?? 'unknown';
      row.outcomes.set(o, (row.outcomes.get(o) ?? 0) + c.count);
      rows.set(id, row);
    }
  }
  return [...rows.values()].sort((a, b) => b.total - a.total).slice(0, TOP);
}

/** The busiest tokens and identities of an answer grouped by identity, token and outcome. */
export const topOf = (answer: Answer | undefined) => ({
  tokens: rank(answer, 'token_id'),
  identities: rank(answer, 'identity_id'),
});

/** "2 revoked, 1 expired": a row's refusals, the most frequent first. */
function refusals(row: TopRow): string {
  const parts = [...row.outcomes.entries()]
    .filter(([o]) => o !== 'valid')
    .sort((a, b) => b[1] - a[1])
    .map(([o, n]) => `${number.format(n)} ${outcomeLabel(o).toLowerCase()}`);
  return parts.length ? parts.join(', ') : 'none';
}

const counts = [
  { header: 'Verifications', cell: (r: TopRow) => number.format(r.total) },
  { header: 'Valid', cell: (r: TopRow) => number.format(r.outcomes.get('valid') ?? 0) },
  { header: 'Refused', cell: (r: TopRow) => refusals(r) },
];

/** How a top list names a holder, and (on the platform) a business. */
export interface Namers {
  holder(identityId: string): ReactNode;
  business?(businessId: string | null): ReactNode;
  /** Whether a token's name links to its page (a business's tokens have one). */
  linked: boolean;
}

function TokenName({ view, id, linked }: { view?: TokenView; id: string; linked: boolean }) {
  if (!view) {
    return (
      <span className="named">
        <span className="muted">a token</span>
        <IdToggle id={id} of="this token" />
      </span>
    );
  }
  return (
    <span className="name-stack">
      {linked ? (
        <Link to={paths.token(view.id)}>
          <Clip text={view.name} />
        </Link>
      ) : (
        <Clip text={view.name} />
      )}
      <code className="muted small">{view.preview}</code>
    </span>
  );
}

export function TopTables({
  top,
  views,
  names,
}: {
  top: ReturnType<typeof topOf>;
  views: Map<string, TokenView>;
  names: Namers;
}) {
  const unknown = <span className="muted">Unknown tokens (no such token)</span>;
  return (
    <div className="analytics-top">
      <section aria-labelledby="top-tokens">
        <h2 id="top-tokens">Top tokens</h2>
        {top.tokens.length === 0 ? (
          <Empty>No verifications in this window</Empty>
        ) : (
          <DataTable
            label="Top tokens"
            rows={top.tokens}
            rowKey={(r) => r.id ?? '-'}
            columns={[
              {
                header: 'Token',
                primary: true,
                cell: (r) =>
                  r.id === null ? (
                    unknown
                  ) : (
                    <TokenName view={views.get(r.id)} id={r.id} linked={names.linked} />
                  ),
              },
              {
                header: 'Holder',
                cell: (r) => (r.identityId ? names.holder(r.identityId) : '—'),
              },
              names.business && {
                header: 'Business',
                cell: (r) =>
                  r.id === null ? '—' : names.business!(views.get(r.id)?.business_id ?? null),
              },
              ...counts,
            ]}
          />
        )}
      </section>
      <section aria-labelledby="top-identities">
        <h2 id="top-identities">Top identities</h2>
        {top.identities.length === 0 ? (
          <Empty>No verifications in this window</Empty>
        ) : (
          <DataTable
            label="Top identities"
            rows={top.identities}
            rowKey={(r) => r.id ?? '-'}
            columns={[
              {
                header: 'Who',
                primary: true,
                cell: (r) => (r.id === null ? unknown : names.holder(r.id)),
              },
              ...counts,
            ]}
          />
        )}
      </section>
    </div>
  );
}
