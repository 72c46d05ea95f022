import { useState } from 'react';
import { useDirectory } from '../../api/directory';
import { useRevokeToken } from '../../api/resources/tokens.api';
import { useRiskyWhole, useUsageSummary, type UsageWindow } from '../../api/resources/usage.api';
import type { TokenView } from '../../api/types';
import { DataTable } from '../../ui/lists/DataTable';
import { ErrorBox } from '../../ui/ErrorBox';
import { Holder } from '../../ui/names/Holder';
import { WholeListView } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { RevokeDialog } from '../../ui/tokens/RevokeDialog';
import { Empty, Loading, Notice } from '../../ui/Status';
import { Time } from '../../ui/Time';
import { mayActOn } from '../../permissions';
import { Link, paths } from '../../router';
import { useBusiness } from '../../session';

const WINDOWS: readonly (readonly [UsageWindow, string])[] = [
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days'],
];

const number = new Intl.NumberFormat('en');
/** The requests that were not the console's own: what the list ranks by, busiest first. */
const apiRequests = (c: { requests: number; console_requests: number }) =>
  c.requests - c.console_requests;
const percent = (part: number, whole: number) =>
  whole === 0 ? '—' : `${((100 * part) / whole).toFixed(part === 0 || part === whole ? 0 : 1)}%`;

/** A token's name, linked to its page, with its preview. */
function TokenName({ token }: { token: TokenView }) {
  return (
    <span className="name-stack">
      <span className="wrap">
        <Link to={paths.token(token.id)}>{token.name}</Link>
      </span>
      <code className="muted small">{token.preview}</code>
    </span>
  );
}

/** Requests as a bar against the busiest token's (SVG attributes: the CSP allows no style). */
function Bar({ value, max }: { value: number; max: number }) {
  const width = max === 0 ? 0 : Math.max(1, Math.round((100 * value) / max));
  return (
    <svg className="usage-bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">
      <rect className="usage-bar-track" x={0} y={0} width={100} height={8} />
      <rect className="usage-bar-fill" x={0} y={0} width={width} height={8} />
    </svg>
  );
}

function WindowPicker({
  value,
  onChange,
}: {
  value: UsageWindow;
  onChange: (w: UsageWindow) => void;
}) {
  return (
    <fieldset className="segmented">
      <legend className="visually-hidden">Window</legend>
      {WINDOWS.map(([w, label]) => (
        <label key={w} className={w === value ? 'segment on' : 'segment'}>
          <input
            type="radio"
            name="usage-window"
            value={w}
            checked={w === value}
            onChange={() => onChange(w)}
          />
          {label}
        </label>
      ))}
    </fieldset>
  );
}

function Unused() {
  const { caps, whoami } = useBusiness();
  const directory = useDirectory();
  const risky = useRiskyWhole();
  const revoke = useRevokeToken();
  const [revoking, setRevoking] = useState<TokenView | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const me = whoami.identity.id;
  const unused = (risky.data?.items ?? []).filter((t) => t.reasons.includes('unused_90_days'));
  return (
    <section aria-labelledby="unused">
      <h2 id="unused">Unused for 90 days</h2>
      <p className="muted">Active tokens nobody has used for 90 days: revoke what is not needed.</p>
      <Notice>{notice}</Notice>
      <WholeListView
        query={risky}
        shown={unused}
        empty="No token unused for 90 days"
        none="No token unused for 90 days"
      >
        {(items) => (
          <DataTable
            label="Unused tokens"
            rows={items}
            rowKey={(t) => t.id}
            columns={[
              { header: 'Token', primary: true, cell: (t) => <TokenName token={t} /> },
              {
                header: 'Holder',
                cell: (t) => (
                  <Holder id={t.identity_id} me={me} who={directory.byId.get(t.identity_id)} />
                ),
              },
              { header: 'Last used', cell: (t) => <Time iso={t.last_used_at} empty="never" /> },
              { header: 'Created', cell: (t) => <Time iso={t.created_at} /> },
              {
                header: 'Actions',
                actions: true,
                cell: (t) =>
                  mayActOn(
                    caps.caller,
                    me,
                    'revoke',
                    t.identity_id,
                    directory.byId.get(t.identity_id),
                  ) && (
                    <button
                      type="button"
                      className="button small danger-outline"
                      onClick={() => setRevoking(t)}
                    >
                      Revoke
                    </button>
                  ),
              },
            ]}
          />
        )}
      </WholeListView>
      {revoking && (
        <RevokeDialog
          what={`“${revoking.name}”`}
          revoke={(reason) => revoke.mutateAsync({ id: revoking.id, reason })}
          onClose={() => setRevoking(null)}
          onDone={setNotice}
        />
      )}
    </section>
  );
}

export function Usage() {
  const { business, caps, whoami } = useBusiness();
  const directory = useDirectory();
  const [window, setWindow] = useState<UsageWindow>('24h');
  const summary = useUsageSummary(window);
  const s = summary.data;
  const max = s?.items[0] ? apiRequests(s.items[0]) : 0;
  return (
    <>
      <PageHead
        title="Usage"
        lead={
          caps.tokensAdmin
            ? `Requests made with ${business.name}'s tokens, the busiest first. This console's own calls are counted apart.`
            : "Requests made with your tokens, the busiest first. This console's own calls are counted apart."
        }
        actions={<WindowPicker value={window} onChange={setWindow} />}
      />
      {summary.isPending && <Loading />}
      <ErrorBox error={summary.error} />
      {s && (
        <>
          <dl className="stats" aria-label="Totals">
            <div>
              <dt>Requests</dt>
              <dd>{number.format(s.totals.requests)}</dd>
            </div>
            <div>
              <dt>Answered 2xx</dt>
              <dd>{number.format(s.totals.ok_count)}</dd>
            </div>
            <div>
              <dt>Answered 4xx</dt>
              <dd>
                {number.format(s.totals.client_error_count)}{' '}
                <span className="muted small">
                  ({percent(s.totals.client_error_count, s.totals.requests)})
                </span>
              </dd>
            </div>
            <div>
              <dt>Tokens used</dt>
              <dd>{number.format(s.totals.tokens_used)}</dd>
            </div>
            <div>
              <dt>Of which the console&apos;s</dt>
              <dd>{number.format(s.totals.console_requests)}</dd>
            </div>
          </dl>
          <section aria-labelledby="busiest">
            <h2 id="busiest">Busiest tokens</h2>
            {s.items.length === 0 ? (
              <Empty>No requests in this window</Empty>
            ) : (
              <DataTable
                label="Requests per token"
                rows={s.items}
                rowKey={(r) => r.token.id}
                columns={[
                  { header: 'Token', primary: true, cell: (r) => <TokenName token={r.token} /> },
                  {
                    header: 'Holder',
                    cell: (r) => (
                      <Holder
                        id={r.token.identity_id}
                        me={whoami.identity.id}
                        who={directory.byId.get(r.token.identity_id)}
                      />
                    ),
                  },
                  {
                    header: 'API requests',
                    cell: (r) => (
                      <span className="usage-count">
                        {number.format(apiRequests(r))}
                        <Bar value={apiRequests(r)} max={max} />
                      </span>
                    ),
                  },
                  { header: 'Console', cell: (r) => number.format(r.console_requests) },
                  { header: '2xx', cell: (r) => number.format(r.ok_count) },
                  { header: '4xx', cell: (r) => number.format(r.client_error_count) },
                  {
                    header: 'Error rate',
                    cell: (r) => percent(r.requests - r.ok_count, r.requests),
                  },
                  {
                    header: 'Last used',
                    cell: (r) => <Time iso={r.token.last_used_at} empty="never" />,
                  },
                ]}
              />
            )}
          </section>
        </>
      )}
      <Unused />
    </>
  );
}
