import { useState } from 'react';
import { useDeliveries, useRedeliver, useWebhookMessage } from './webhooks.api';
import type { WebhookAttempt } from '../../api/types';
import { useBusiness } from '../../session';
import { DataTable } from '../../ui/lists/DataTable';
import { Dialog } from '../../ui/dialogs/Dialog';
import { ErrorBox } from '../../ui/ErrorBox';
import { KeysetList } from '../../ui/lists/List';
import { Loading, Notice } from '../../ui/Status';
import { Badge, Id } from '../../ui/lists/Table';
import { Time } from '../../ui/Time';
import { Token } from '../../ui/names/Clip';

function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 160)}…` : flat;
}

function AttemptStatus({ a }: { a: WebhookAttempt }) {
  if (a.status_code === null) return <Badge tone="bad">{a.error ?? 'no answer'}</Badge>;
  const ok = a.status_code >= 200 && a.status_code < 300;
  return <Badge tone={ok ? 'ok' : 'bad'}>{a.status_code}</Badge>;
}

/** The JSON as sent, indented to read; a body that is not JSON, as it is. */
function pretty(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

function PayloadDialog({
  id,
  attempt,
  onClose,
}: {
  id: string;
  attempt: WebhookAttempt;
  onClose: () => void;
}) {
  const message = useWebhookMessage(id, attempt.message_id);
  const m = message.data;
  return (
    <Dialog title={`Payload of ${attempt.event_type}`} onClose={onClose} wide>
      {message.isPending && <Loading />}
      <ErrorBox error={message.error} />
      {m && (
        <>
          <dl className="facts">
            <div>
              <dt>Message</dt>
              <dd>
                <Id>{m.message_id}</Id>
              </dd>
            </div>
            <div>
              <dt>State</dt>
              <dd>
                {m.status}, {m.attempts} {m.attempts === 1 ? 'attempt' : 'attempts'}
              </dd>
            </div>
            <div>
              <dt>Queued</dt>
              <dd>
                <Time iso={m.created_at} />
              </dd>
            </div>
          </dl>
          <p className="muted">
            The body every attempt sent, signed as it is; shown indented here.
          </p>
          <pre className="pre" aria-label="Payload" tabIndex={0}>
            {pretty(m.payload)}
          </pre>
        </>
      )}
    </Dialog>
  );
}

/** The endpoint's delivery attempts, newest first: each one's payload, and Redeliver. */
export function WebhookDeliveries({ id }: { id: string }) {
  const { caps } = useBusiness();
  const [notice, setNotice] = useState<string | null>(null);
  const [showing, setShowing] = useState<WebhookAttempt | null>(null);
  const deliveries = useDeliveries(id);
  const redeliver = useRedeliver((queued) => {
    setNotice(`Queued again as ${queued.message_id}.`);
    setTimeout(() => void deliveries.refetch(), 1500);
  });
  return (
    <section aria-labelledby="deliveries">
      <div className="section-head">
        <h2 id="deliveries">Deliveries</h2>
        <button
          type="button"
          className="button small"
          disabled={deliveries.isFetching}
          onClick={() => void deliveries.refetch()}
        >
          Refresh
        </button>
      </div>
      <Notice>{notice}</Notice>
      <ErrorBox error={redeliver.error} />
      <KeysetList query={deliveries} empty="No deliveries yet">
        {(items) => (
          <DataTable
            label="Delivery attempts"
            rows={items}
            rowKey={(a) => a.id}
            columns={[
              { header: 'Event', primary: true, cell: (a) => <Token code>{a.event_type}</Token> },
              { header: 'Time', cell: (a) => <Time iso={a.attempted_at} /> },
              { header: 'Status', cell: (a) => <AttemptStatus a={a} /> },
              { header: 'Latency', cell: (a) => `${a.latency_ms} ms` },
              {
                header: 'Response',
                cell: (a) =>
                  a.response_body ? (
                    <code className="wrap">{excerpt(a.response_body)}</code>
                  ) : (
                    <span className="muted">—</span>
                  ),
              },
              { header: 'Message', cell: (a) => <Id>{a.message_id}</Id> },
              {
                header: 'Actions',
                actions: true,
                cell: (a) => (
                  <>
                    <button type="button" className="button small" onClick={() => setShowing(a)}>
                      Payload
                    </button>
                    {caps.webhooksWrite && (
                      <button
                        type="button"
                        className="button small"
                        disabled={redeliver.isPending}
                        onClick={() => redeliver.mutate({ id, messageId: a.message_id })}
                      >
                        Redeliver
                      </button>
                    )}
                  </>
                ),
              },
            ]}
          />
        )}
      </KeysetList>
      {showing && <PayloadDialog id={id} attempt={showing} onClose={() => setShowing(null)} />}
    </section>
  );
}
