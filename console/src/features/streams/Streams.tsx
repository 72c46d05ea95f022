import { useState } from 'react';
import { useSetStreamStatus, useStreams, useVerifyStream, type StreamRow } from './streams.api';
import { eventLabel, MAX_STREAMS } from './stream-rules';
import { NewStreamDialog } from './NewStreamDialog';
import { DeleteStreamDialog, endpointOf, StopStreamDialog, StreamStatusBadge } from './StreamParts';
import { DataTable } from '../../ui/lists/DataTable';
import { ErrorBox } from '../../ui/ErrorBox';
import { WholeListView } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { byText, matches, searched } from '../../ui/lists/search';
import { Notice } from '../../ui/Status';
import { SearchField, SelectField, SortField, Toolbar } from '../../ui/lists/Toolbar';
import { useBusiness } from '../../session';
import { Clip } from '../../ui/names/Clip';
import { IconPlus } from '../../ui/brand/icons';

// A stream config has no creation time: the server lists streams oldest first.
const SORTS = {
  newest: ['Newest first', (a: StreamRow, b: StreamRow) => b.position - a.position],
  oldest: ['Oldest first', (a: StreamRow, b: StreamRow) => a.position - b.position],
  url: ['Endpoint, A to Z', byText(endpointOf)],
} as const;
type Sort = keyof typeof SORTS;

const STATES = [
  ['enabled', 'Enabled'],
  ['paused', 'Paused'],
  ['disabled', 'Disabled'],
] as const;
type State = (typeof STATES)[number][0];

/** What the notice says once a verification was asked for, or refused as too soon. */
function verifyMessage(row: StreamRow, retryAfter: number | null): string {
  if (retryAfter === null) return 'Asked for a verification event: the receiver gets it shortly.';
  const every = row.config.min_verification_interval;
  return `A verification event was asked for moments ago, and a stream takes one every ${every} seconds. Try again in ${retryAfter} seconds.`;
}

export function Streams() {
  const { business } = useBusiness();
  const streams = useStreams();
  const [search, setSearch] = useState('');
  const [state, setState] = useState<State | ''>('');
  const [sort, setSort] = useState<Sort>('newest');
  const [notice, setNotice] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [stopping, setStopping] = useState<{ row: StreamRow; to: 'paused' | 'disabled' } | null>(
    null,
  );
  const [deleting, setDeleting] = useState<StreamRow | null>(null);
  const enable = useSetStreamStatus(() => setNotice('Enabled the stream.'));
  const verify = useVerifyStream((answer, row) =>
    setNotice(verifyMessage(row, answer.queued ? null : answer.retryAfter)),
  );
  const full = (streams.data?.items.length ?? 0) >= MAX_STREAMS;
  const rows = searched(
    streams.data?.items,
    (s) =>
      (!state || s.status.status === state) && matches(search, endpointOf(s), s.config.description),
    SORTS[sort][1],
  );
  return (
    <>
      <PageHead
        title="Streams"
        lead={`Receivers told of ${business.name}'s token changes as signed Security Event Tokens (Shared Signals, pushed per RFC 8935).`}
        actions={
          !full && (
            <button type="button" className="button primary" onClick={() => setCreating(true)}>
              <IconPlus />
              New stream
            </button>
          )
        }
      />
      {full && (
        <p className="hint">
          {MAX_STREAMS} streams is the most a business may have: delete one to add another.
        </p>
      )}
      <Notice>{notice}</Notice>
      <ErrorBox error={enable.error ?? verify.error} />
      <Toolbar label="Find streams">
        <SearchField value={search} onChange={setSearch} hint="Part of a URL or description." />
        <SelectField label="Status" value={state} options={STATES} onChange={setState} any="Any" />
        <SortField sorts={SORTS} value={sort} onChange={setSort} />
      </Toolbar>
      <WholeListView query={streams} shown={rows} empty="No streams yet">
        {(items) => (
          <DataTable
            label="Streams"
            rows={items}
            rowKey={(s) => s.config.stream_id}
            columns={[
              {
                header: 'Endpoint',
                primary: true,
                cell: (s) => (
                  <span className="name-stack">
                    <Clip text={endpointOf(s)} />
                    {s.config.description && (
                      <span className="muted small">{s.config.description}</span>
                    )}
                  </span>
                ),
              },
              { header: 'Status', cell: (s) => <StreamStatusBadge row={s} /> },
              {
                header: 'Events delivered',
                cell: (s) =>
                  s.config.events_delivered.length > 0 ? (
                    <span className="wrap">
                      {s.config.events_delivered.map(eventLabel).join(', ')}
                    </span>
                  ) : (
                    <span className="muted">verification only</span>
                  ),
              },
              {
                header: 'Actions',
                actions: true,
                cell: (s) => {
                  const now = s.status.status;
                  const id = s.config.stream_id;
                  return (
                    <>
                      {now !== 'disabled' && (
                        <button
                          type="button"
                          className="button small"
                          disabled={verify.isPending}
                          onClick={() => verify.mutate(s)}
                        >
                          Send verification event
                        </button>
                      )}
                      {now === 'enabled' ? (
                        <button
                          type="button"
                          className="button small"
                          onClick={() => setStopping({ row: s, to: 'paused' })}
                        >
                          Pause
                        </button>
                      ) : (
                        <button
                          type="button"
                          className="button small"
                          disabled={enable.isPending}
                          onClick={() => enable.mutate({ stream_id: id, status: 'enabled' })}
                        >
                          Enable
                        </button>
                      )}
                      {now !== 'disabled' && (
                        <button
                          type="button"
                          className="button small"
                          onClick={() => setStopping({ row: s, to: 'disabled' })}
                        >
                          Disable
                        </button>
                      )}
                      <button
                        type="button"
                        className="button small danger-outline"
                        onClick={() => setDeleting(s)}
                      >
                        Delete
                      </button>
                    </>
                  );
                },
              },
            ]}
          />
        )}
      </WholeListView>
      {creating && <NewStreamDialog onClose={() => setCreating(false)} onCreated={setNotice} />}
      {stopping && (
        <StopStreamDialog
          row={stopping.row}
          to={stopping.to}
          onClose={() => setStopping(null)}
          onDone={setNotice}
        />
      )}
      {deleting && (
        <DeleteStreamDialog row={deleting} onClose={() => setDeleting(null)} onDone={setNotice} />
      )}
    </>
  );
}
