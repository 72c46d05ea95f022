import { useState } from 'react';
import { useInvalidateBusiness } from '../../api/cache';
import {
  useRotateWebhookSecret,
  useTestWebhook,
  useToggleWebhook,
  useWebhook,
} from './webhooks.api';
import { ErrorBox } from '../../ui/ErrorBox';
import { UUID } from '../../ui/hooks';
import { PageHead } from '../../ui/PageHead';
import { SecretReveal } from '../../ui/forms/SecretReveal';
import { Empty, Loading, Notice } from '../../ui/Status';
import { Id } from '../../ui/lists/Table';
import { Time } from '../../ui/Time';
import { WebhookDeliveries } from './WebhookDeliveries';
import { DeleteWebhookDialog, WebhookState } from './WebhookParts';
import { Link, navigate, paths } from '../../router';
import { useBusiness } from '../../session';

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
          <WebhookDeliveries id={h.id} />
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
