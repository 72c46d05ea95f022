import { useState } from 'react';
import { useCreateWebhook, useToggleWebhook, useWebhooks } from './webhooks.api';
import type { Webhook, WebhookEventType } from '../../api/types';
import { DataTable } from '../../ui/lists/DataTable';
import { ErrorBox } from '../../ui/ErrorBox';
import { Check, Field } from '../../ui/Field';
import { FormDialog } from '../../ui/dialogs/FormDialog';
import { WholeListView } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { byText, matches, newestFirst, oldestFirst, searched } from '../../ui/lists/search';
import { SecretReveal } from '../../ui/SecretReveal';
import { Notice } from '../../ui/Status';
import { Time } from '../../ui/Time';
import { SearchField, SelectField, SortField, Toolbar } from '../../ui/lists/Toolbar';
import { DeleteWebhookDialog, EVENT_TYPES, WebhookState } from './WebhookParts';
import { Link, paths } from '../../router';
import { useBusiness } from '../../session';

const SORTS = {
  newest: ['Newest first', newestFirst((h: Webhook) => h.created_at)],
  oldest: ['Oldest first', oldestFirst((h: Webhook) => h.created_at)],
  url: ['URL, A to Z', byText((h: Webhook) => h.url)],
} as const;
type Sort = keyof typeof SORTS;

const STATES = [
  ['enabled', 'Enabled'],
  ['disabled', 'Disabled'],
] as const;

function NewWebhookDialog({ onClose, auditRead }: { onClose: () => void; auditRead: boolean }) {
  // Audit events (`audit.event`, and `*` with them) need a token that allows audit:read.
  const choices = auditRead ? EVENT_TYPES : EVENT_TYPES.filter((t) => t !== 'audit.event');
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<Set<WebhookEventType>>(new Set(auditRead ? ['*'] : choices));
  const [description, setDescription] = useState('');
  const [scheme, setScheme] = useState<'v1' | 'v1a'>('v1');
  const create = useCreateWebhook();
  const toggle = (t: WebhookEventType, on: boolean) =>
    setTypes((old) => {
      const next = new Set(old);
      if (on) next.add(t);
      else next.delete(t);
      return next;
    });
  const submit = () => {
    if (types.size === 0) return;
    create.mutate({
      url: url.trim(),
      event_types: types.has('*') ? ['*'] : [...types],
      description: description.trim(),
      signature_scheme: scheme,
    });
  };
  const made = create.data;
  return (
    <FormDialog
      title="New webhook endpoint"
      submit="Create webhook"
      onSubmit={submit}
      onClose={onClose}
      pending={create.isPending}
      error={create.error}
      wide
      done={
        made &&
        (made.secret ? (
          <SecretReveal
            key={made.id}
            secret={made.secret}
            heading="Signing secret of the new endpoint"
            onDone={onClose}
          />
        ) : (
          <>
            <Notice>Created the endpoint; it signs with the business's own Ed25519 key.</Notice>
            <button type="button" className="button" onClick={onClose}>
              Done
            </button>
          </>
        ))
      }
    >
      <Field label="URL" hint="https only, and a public address.">
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
      <fieldset className="fieldset">
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
    </FormDialog>
  );
}

export function Webhooks() {
  const { business, caps } = useBusiness();
  const hooks = useWebhooks();
  const [search, setSearch] = useState('');
  const [state, setState] = useState<'enabled' | 'disabled' | ''>('');
  const [sort, setSort] = useState<Sort>('newest');
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const toggle = useToggleWebhook((h) =>
    setNotice(`${h.enabled ? 'Enabled' : 'Disabled'} the endpoint.`),
  );
  const rows = searched(
    hooks.data?.items,
    (h) => (!state || h.enabled === (state === 'enabled')) && matches(search, h.url, h.description),
    SORTS[sort][1],
  );
  return (
    <>
      <PageHead
        title="Webhooks"
        lead={`Endpoints told of ${business.name}'s events, signed (Standard Webhooks).`}
        actions={
          caps.webhooksWrite && (
            <button type="button" className="button primary" onClick={() => setCreating(true)}>
              New endpoint
            </button>
          )
        }
      />
      <Notice>{notice}</Notice>
      <ErrorBox error={toggle.error} />
      <Toolbar label="Find webhook endpoints">
        <SearchField value={search} onChange={setSearch} hint="Part of a URL or description." />
        <SelectField label="State" value={state} options={STATES} onChange={setState} any="Any" />
        <SortField sorts={SORTS} value={sort} onChange={setSort} />
      </Toolbar>
      <WholeListView query={hooks} shown={rows} empty="No webhooks yet">
        {(items) => (
          <DataTable
            label="Webhook endpoints"
            rows={items}
            rowKey={(h) => h.id}
            columns={[
              {
                header: 'Endpoint',
                primary: true,
                cell: (h) => (
                  <span className="name-stack">
                    <span className="wrap">
                      <Link to={paths.webhook(h.id)}>{h.url}</Link>
                    </span>
                    {h.description && <span className="muted small wrap">{h.description}</span>}
                  </span>
                ),
              },
              { header: 'State', cell: (h) => <WebhookState hook={h} /> },
              {
                header: 'Events',
                cell: (h) => <span className="wrap">{h.event_types.join(', ')}</span>,
              },
              { header: 'Created', cell: (h) => <Time iso={h.created_at} /> },
              caps.webhooksWrite && {
                header: 'Actions',
                actions: true,
                cell: (h) => (
                  <>
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
                  </>
                ),
              },
            ]}
          />
        )}
      </WholeListView>
      {creating && (
        <NewWebhookDialog onClose={() => setCreating(false)} auditRead={caps.auditRead} />
      )}
      {deleting && (
        <DeleteWebhookDialog hook={deleting} onClose={() => setDeleting(null)} onDone={setNotice} />
      )}
    </>
  );
}
