import { useState } from 'react';
import { useInvalidateBusiness } from '../api/cache';
import {
  useDeliveries,
  useRedeliver,
  useRotateWebhookSecret,
  useTestWebhook,
  useToggleWebhook,
  useWebhook,
  useWebhookMessage,
} from '../api/webhooks';
import type { WebhookAttempt } from '../api/types';
import { DataTable } from '../components/DataTable';
import { Dialog } from '../components/Dialog';
import { ErrorBox } from '../components/ErrorBox';
import { UUID } from '../components/hooks';
import { KeysetList } from '../components/List';
import { PageHead } from '../components/PageHead';
import { SecretReveal } from '../components/SecretReveal';
import { Empty, Loading, Notice } from '../components/Status';
import { Badge, Id } from '../components/Table';
import { Time } from '../components/Time';
import { DeleteWebhookDialog, WebhookState } from '../components/WebhookParts';
import { Link, navigate, paths } from '../router';
import { useBusiness } from '../session';

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

function Deliveries({ id }: { id: string }) {
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
              { header: 'Event', primary: true, cell: (a) => <code>{a.event_type}</code> },
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

export function WebhookDetail({ id }: { id: string }) {
  const { caps } = useBusiness();
  const [notice, setNotice] = useState<string | null>(null);
  const valid = UUID.test(id);
  const hook = useWebhook(id, valid);
  const h = hook.data;
  const toggle = useToggleWebhook((updated) =>
    setNotice(`${updated.enabled ? 'Enabled' : 'Disabled'} the endpoint.`),
  );
  const [deleting, setDeleting] = useState(false);
  const invalidate = useInvalidateBusiness();
  const test = useTestWebhook((queued) => {
    setNotice(`Test event queued as ${queued.message_id}.`);
    // Delivered on the worker's next poll: look again once it has had a moment.
    setTimeout(() => void invalidate(), 1500);
  });
  const rotate = useRotateWebhookSecret();
  const error = toggle.error ?? test.error ?? rotate.error;
  return (
    <>
      <PageHead
        title="Webhook endpoint"
        crumbs={<Link to={paths.webhooks}>← Back to webhooks</Link>}
      />
      {!valid && <Empty>This is not a webhook id.</Empty>}
      {valid && hook.isPending && <Loading />}
      <ErrorBox error={hook.error} />
      <Notice>{notice}</Notice>
      <ErrorBox error={error} />
      {h && (
        <>
          <section className="card" aria-labelledby="endpoint">
            <h2 id="endpoint" className="wrap">
              {h.url}
            </h2>
            <dl className="facts">
              <div>
                <dt>State</dt>
                <dd>
                  <WebhookState hook={h} />
                  {h.failing_since && (
                    <>
                      {' '}
                      failing since <Time iso={h.failing_since} />
                    </>
                  )}
                </dd>
              </div>
              <div>
                <dt>Events</dt>
                <dd className="wrap">{h.event_types.join(', ')}</dd>
              </div>
              <div>
                <dt>Description</dt>
                <dd className="wrap">{h.description || '—'}</dd>
              </div>
              <div>
                <dt>Signature</dt>
                <dd>
                  {h.signature_scheme === 'v1a'
                    ? 'v1a (Ed25519, business key)'
                    : 'v1 (HMAC-SHA256 secret)'}
                </dd>
              </div>
              <div>
                <dt>Id</dt>
                <dd>
                  <Id>{h.id}</Id>
                </dd>
              </div>
              <div>
                <dt>Created</dt>
                <dd>
                  <Time iso={h.created_at} />
                </dd>
              </div>
            </dl>
            {caps.webhooksWrite && (
              <div className="actions">
                <button
                  type="button"
                  className="button primary"
                  disabled={test.isPending}
                  onClick={() => test.mutate(h.id)}
                >
                  Send test event
                </button>
                <button
                  type="button"
                  className="button"
                  disabled={toggle.isPending}
                  onClick={() => toggle.mutate(h)}
                >
                  {h.enabled ? 'Disable' : 'Enable'}
                </button>
                {h.signature_scheme === 'v1' && (
                  <button
                    type="button"
                    className="button"
                    disabled={rotate.isPending}
                    onClick={() => rotate.mutate(h.id)}
                  >
                    Rotate secret
                  </button>
                )}
                <button
                  type="button"
                  className="button danger-outline"
                  onClick={() => setDeleting(true)}
                >
                  Delete
                </button>
              </div>
            )}
            {rotate.data && (
              <SecretReveal
                secret={rotate.data.secret}
                heading="New signing secret (the old one also signs for 24 hours)"
                onDone={() => rotate.reset()}
              />
            )}
          </section>
          <Deliveries id={h.id} />
          {deleting && (
            <DeleteWebhookDialog
              hook={h}
              onClose={() => setDeleting(false)}
              onDone={(m) => {
                setNotice(m);
                navigate(paths.webhooks);
              }}
            />
          )}
        </>
      )}
    </>
  );
}
