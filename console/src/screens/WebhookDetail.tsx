import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { unwrap } from '../api/call';
import { PAGE_SIZE, useKeyset } from '../api/keyset';
import { ErrorBox } from '../components/ErrorBox';
import { useInvalidateBusiness, UUID } from '../components/hooks';
import { KeysetList } from '../components/List';
import { SecretReveal } from '../components/SecretReveal';
import { Empty, Loading, Notice } from '../components/Status';
import { Badge, Id, TableWrap } from '../components/Table';
import { Time } from '../components/Time';
import { useTitle } from '../components/useTitle';
import { Link, navigate, paths } from '../router';
import { useBusiness } from '../session';
import { DeleteWebhookDialog, useToggleWebhook, WebhookState } from './Webhooks';

function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 160)}…` : flat;
}

function Deliveries({ id }: { id: string }) {
  const { api, business, caps } = useBusiness();
  const [notice, setNotice] = useState<string | null>(null);
  const deliveries = useKeyset(['biz', business.id, 'deliveries', id], (cursor) =>
    unwrap(
      api.GET('/api/v1/webhooks/{webhook_id}/deliveries', {
        params: { path: { webhook_id: id }, query: { limit: PAGE_SIZE, cursor } },
      }),
    ),
  );
  const redeliver = useMutation({
    mutationFn: (messageId: string) =>
      unwrap(
        api.POST('/api/v1/webhooks/{webhook_id}/deliveries/{message_id}/redeliver', {
          params: { path: { webhook_id: id, message_id: messageId } },
        }),
      ),
    onSuccess: (queued) => {
      setNotice(`Queued again as ${queued.message_id}.`);
      setTimeout(() => void deliveries.refetch(), 1500);
    },
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
          <TableWrap label="Delivery attempts">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Latency</th>
                <th scope="col">Response</th>
                <th scope="col">Message</th>
                {caps.webhooksWrite && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Time iso={a.attempted_at} />
                  </td>
                  <td>
                    <code>{a.event_type}</code>
                  </td>
                  <td>
                    {a.status_code !== null ? (
                      <Badge tone={a.status_code >= 200 && a.status_code < 300 ? 'ok' : 'bad'}>
                        {a.status_code}
                      </Badge>
                    ) : (
                      <Badge tone="bad">{a.error ?? 'no answer'}</Badge>
                    )}
                  </td>
                  <td>{a.latency_ms} ms</td>
                  <td className="excerpt">
                    {a.response_body ? (
                      <code className="wrap">{excerpt(a.response_body)}</code>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>
                    <Id>{a.message_id}</Id>
                  </td>
                  {caps.webhooksWrite && (
                    <td>
                      <button
                        type="button"
                        className="button small"
                        disabled={redeliver.isPending}
                        onClick={() => redeliver.mutate(a.message_id)}
                      >
                        Redeliver
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </TableWrap>
        )}
      </KeysetList>
    </section>
  );
}

export function WebhookDetail({ id }: { id: string }) {
  const { api, business, caps } = useBusiness();
  const invalidate = useInvalidateBusiness();
  const [notice, setNotice] = useState<string | null>(null);
  const valid = UUID.test(id);
  const hook = useQuery({
    queryKey: ['biz', business.id, 'webhook', id],
    queryFn: () =>
      unwrap(api.GET('/api/v1/webhooks/{webhook_id}', { params: { path: { webhook_id: id } } })),
    enabled: valid,
  });
  const h = hook.data;
  useTitle(h ? `Webhook ${h.url}` : 'Webhook');
  const toggle = useToggleWebhook(setNotice);
  const [deleting, setDeleting] = useState(false);
  const test = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/webhooks/{webhook_id}/test', { params: { path: { webhook_id: id } } }),
      ),
    onSuccess: (queued) => {
      setNotice(`Test event queued as ${queued.message_id}.`);
      setTimeout(() => void invalidate(), 1500);
    },
  });
  const rotate = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/webhooks/{webhook_id}/rotate-secret', {
          params: { path: { webhook_id: id } },
        }),
      ),
    onSuccess: () => void invalidate(),
  });
  const error = toggle.error ?? test.error ?? rotate.error;
  return (
    <>
      <p className="crumbs">
        <Link to={paths.webhooks}>← Back to webhooks</Link>
      </p>
      <h1>Webhook endpoint</h1>
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
                  onClick={() => test.mutate()}
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
                    onClick={() => rotate.mutate()}
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
