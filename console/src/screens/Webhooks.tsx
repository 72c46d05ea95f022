import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { unwrap } from '../api/call';
import { PAGE_SIZE, useKeyset } from '../api/keyset';
import type { Webhook, WebhookEventType } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorBox } from '../components/ErrorBox';
import { Check, Field } from '../components/Field';
import { useInvalidateBusiness } from '../components/hooks';
import { KeysetList } from '../components/List';
import { SecretReveal } from '../components/SecretReveal';
import { Loading, Notice } from '../components/Status';
import { Badge, TableWrap } from '../components/Table';
import { Time } from '../components/Time';
import { useTitle } from '../components/useTitle';
import { Link, paths } from '../router';
import { useBusiness } from '../session';

export const EVENT_TYPES: WebhookEventType[] = [
  'token.created',
  'token.revoked',
  'token.rotated',
  'token.expiring',
  'token.expired',
  'token.rejected',
  'token.leaked',
  'member.added',
  'member.removed',
  'business.suspended',
  'business.resumed',
  'webhook.disabled',
  'audit.event',
];

export function WebhookState({ hook }: { hook: Webhook }) {
  if (hook.enabled) return <Badge tone="ok">enabled</Badge>;
  return (
    <Badge tone="bad">
      {hook.disabled_reason ? `disabled (${hook.disabled_reason})` : 'disabled'}
    </Badge>
  );
}

/** PATCH enabled, for the list and the detail page. */
export function useToggleWebhook(onDone: (m: string) => void) {
  const { api } = useBusiness();
  const invalidate = useInvalidateBusiness();
  return useMutation({
    mutationFn: (hook: Webhook) =>
      unwrap(
        api.PATCH('/api/v1/webhooks/{webhook_id}', {
          params: { path: { webhook_id: hook.id } },
          body: { enabled: !hook.enabled },
        }),
      ),
    onSuccess: (hook) => {
      onDone(`${hook.enabled ? 'Enabled' : 'Disabled'} the endpoint.`);
      void invalidate();
    },
  });
}

/** Delete's confirmation: the endpoint stops receiving at once, and its queued messages die. */
export function DeleteWebhookDialog({
  hook,
  onClose,
  onDone,
}: {
  hook: Webhook;
  onClose: () => void;
  onDone: (m: string) => void;
}) {
  const { business } = useBusiness();
  const remove = useDeleteWebhook(onDone);
  return (
    <ConfirmDialog
      title="Delete the endpoint"
      confirm="Delete endpoint"
      mutation={remove}
      subject={hook}
      onClose={onClose}
    >
      <p>
        <span className="wrap">{hook.url}</span> gets no more events from {business.name}, and what
        is still queued for it is dropped. This cannot be undone; to pause it instead, disable it.
      </p>
    </ConfirmDialog>
  );
}

function useDeleteWebhook(onDone: (m: string) => void) {
  const { api } = useBusiness();
  const invalidate = useInvalidateBusiness();
  return useMutation({
    mutationFn: (hook: Webhook) =>
      unwrap(
        api.DELETE('/api/v1/webhooks/{webhook_id}', { params: { path: { webhook_id: hook.id } } }),
      ),
    onSuccess: () => {
      onDone('Deleted the endpoint.');
      void invalidate();
    },
  });
}

function CreateWebhook({
  onCreated,
  auditRead,
}: {
  onCreated: (m: string) => void;
  auditRead: boolean;
}) {
  const { api } = useBusiness();
  const invalidate = useInvalidateBusiness();
  // Audit events (`audit.event`, and `*` with them) need a token that allows audit:read.
  const choices = auditRead ? EVENT_TYPES : EVENT_TYPES.filter((t) => t !== 'audit.event');
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<Set<WebhookEventType>>(new Set(auditRead ? ['*'] : choices));
  const [description, setDescription] = useState('');
  const [scheme, setScheme] = useState<'v1' | 'v1a'>('v1');
  const mutation = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/api/v1/webhooks', {
          body: {
            url: url.trim(),
            event_types: types.has('*') ? ['*'] : [...types],
            description: description.trim(),
            signature_scheme: scheme,
          },
        }),
      ),
    onSuccess: (hook) => {
      setUrl('');
      setDescription('');
      onCreated(`Created the webhook endpoint; its id is ${hook.id}.`);
      void invalidate();
    },
  });
  const toggle = (t: WebhookEventType, on: boolean) =>
    setTypes((old) => {
      const next = new Set(old);
      if (on) next.add(t);
      else next.delete(t);
      return next;
    });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (types.size > 0) mutation.mutate();
  };
  return (
    <section className="card" aria-labelledby="new-webhook">
      <h2 id="new-webhook">New webhook endpoint</h2>
      <form className="form grid" onSubmit={submit}>
        <Field label="URL" hint="https only, and a public address." className="span-2">
          {(p) => (
            <input
              {...p}
              className="input"
              type="url"
              required
              value={url}
              onChange={(e) => setUrl(e.currentTarget.value)}
            />
          )}
        </Field>
        <fieldset className="fieldset span-2">
          <legend>Event types</legend>
          <div className="check-grid">
            {auditRead && (
              <Check
                label="All events (*)"
                checked={types.has('*')}
                onChange={(on) => toggle('*', on)}
              />
            )}
            {choices.map((t) => (
              <Check
                key={t}
                label={t}
                checked={types.has('*') || types.has(t)}
                onChange={(on) => {
                  if (types.has('*')) {
                    // Leaving "all" for a list: every type but the one unticked.
                    setTypes(new Set(choices.filter((x) => x !== t)));
                  } else toggle(t, on);
                }}
              />
            ))}
          </div>
          {types.size === 0 && <p className="hint">Pick at least one event type.</p>}
          {!auditRead && <p className="hint">Audit events need a token that allows audit:read.</p>}
        </fieldset>
        <Field label="Description">
          {(p) => (
            <input
              {...p}
              className="input"
              maxLength={500}
              value={description}
              onChange={(e) => setDescription(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field
          label="Signature scheme"
          hint="v1: HMAC with a secret of this endpoint. v1a: Ed25519, verified with this business's public key, which the receiver pins."
        >
          {(p) => (
            <select
              {...p}
              className="input"
              value={scheme}
              onChange={(e) => setScheme(e.currentTarget.value as 'v1' | 'v1a')}
            >
              <option value="v1">v1 (HMAC-SHA256 secret)</option>
              <option value="v1a">v1a (Ed25519 public key)</option>
            </select>
          )}
        </Field>
        <div className="actions span-2">
          <button
            type="submit"
            className="button primary"
            disabled={mutation.isPending || types.size === 0}
          >
            Create webhook
          </button>
        </div>
      </form>
      {mutation.isPending && <Loading>Creating…</Loading>}
      <ErrorBox error={mutation.error} />
      {mutation.data?.secret && (
        <SecretReveal
          key={mutation.data.id}
          secret={mutation.data.secret}
          heading="Signing secret of the new endpoint"
          onDone={() => mutation.reset()}
        />
      )}
    </section>
  );
}

export function Webhooks() {
  useTitle('Webhooks');
  const { api, business, caps } = useBusiness();
  const [notice, setNotice] = useState<string | null>(null);
  const hooks = useKeyset(['biz', business.id, 'webhooks'], (cursor) =>
    unwrap(api.GET('/api/v1/webhooks', { params: { query: { limit: PAGE_SIZE, cursor } } })),
  );
  const toggle = useToggleWebhook(setNotice);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  return (
    <>
      <h1>Webhooks</h1>
      <p className="lead">
        Endpoints told of {business.name}'s events, signed (Standard Webhooks).
      </p>
      <Notice>{notice}</Notice>
      {caps.webhooksWrite && <CreateWebhook onCreated={setNotice} auditRead={caps.auditRead} />}
      <section aria-labelledby="webhook-list">
        <h2 id="webhook-list">Endpoints</h2>
        <ErrorBox error={toggle.error} />
        <KeysetList query={hooks} empty="No webhooks yet">
          {(items) => (
            <TableWrap label="Webhook endpoints">
              <thead>
                <tr>
                  <th scope="col">URL</th>
                  <th scope="col">State</th>
                  <th scope="col">Events</th>
                  <th scope="col">Description</th>
                  <th scope="col">Created</th>
                  {caps.webhooksWrite && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {items.map((h) => (
                  <tr key={h.id}>
                    <th scope="row">
                      <span className="wrap">
                        <Link to={paths.webhook(h.id)}>{h.url}</Link>
                      </span>
                    </th>
                    <td>
                      <WebhookState hook={h} />
                    </td>
                    <td>
                      <span className="wrap">{h.event_types.join(', ')}</span>
                    </td>
                    <td>
                      <span className="wrap">
                        {h.description || <span className="muted">—</span>}
                      </span>
                    </td>
                    <td>
                      <Time iso={h.created_at} />
                    </td>
                    {caps.webhooksWrite && (
                      <td>
                        <div className="row-actions">
                          <button
                            type="button"
                            className="button small"
                            disabled={toggle.isPending}
                            onClick={() => toggle.mutate(h)}
                          >
                            {h.enabled ? 'Disable' : 'Enable'}
                          </button>
                          <button
                            type="button"
                            className="button small danger-outline"
                            onClick={() => setDeleting(h)}
                          >
                            Delete
                          </button>
                        </div>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          )}
        </KeysetList>
      </section>
      {deleting && (
        <DeleteWebhookDialog hook={deleting} onClose={() => setDeleting(null)} onDone={setNotice} />
      )}
    </>
  );
}
