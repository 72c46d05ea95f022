import { useState } from 'react';
import { useCreateWebhook } from './webhooks.api';
import type { WebhookEventType } from '../../api/types';
import { Check, Field } from '../../ui/forms/Field';
import { FormDialog } from '../../ui/dialogs/FormDialog';
import { SecretReveal } from '../../ui/forms/SecretReveal';
import { Notice } from '../../ui/Status';
import { EVENT_TYPES } from './WebhookParts';
import { URL_HINT } from '../../ui/forms/url-hint';

/**
 * What a new endpoint starts with: a token's revocation and its coming expiry, what a receiver
 * acts on (drop it from a cache, rotate it in time). Never `*` or `audit.event`: those send the
 * whole audit log where the URL says, which its maker must choose, not leave ticked.
 */
export const DEFAULT_EVENT_TYPES: readonly WebhookEventType[] = ['token.revoked', 'token.expiring'];

/** A new webhook endpoint: its URL, the event types it receives, and its signature scheme. */
export function NewWebhookDialog({
  onClose,
  auditRead,
}: {
  onClose: () => void;
  auditRead: boolean;
}) {
  // Audit events (`audit.event`, and `*` with them) need a token that allows audit:read.
  const choices = auditRead ? EVENT_TYPES : EVENT_TYPES.filter((t) => t !== 'audit.event');
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<Set<WebhookEventType>>(new Set(DEFAULT_EVENT_TYPES));
  // The server takes at least one type (`event_types` is ArrayMinSize(1)): none is refused here.
  const [emptyTried, setEmptyTried] = useState(false);
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
    if (types.size === 0) {
      setEmptyTried(true);
      return;
    }
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
      <Field label="URL" hint={URL_HINT}>
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
        {types.size === 0 && (
          <p
            className={emptyTried ? 'field-error' : 'hint'}
            role={emptyTried ? 'alert' : undefined}
          >
            Pick at least one event type.
          </p>
        )}
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
