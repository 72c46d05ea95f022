import { useState } from 'react';
import { useCreateStream } from './streams.api';
import { PUSH_METHOD, STREAM_EVENTS } from './stream-rules';
import { ApiError, fieldError } from '../../api/errors';
import { Check, Field } from '../../ui/forms/Field';
import { FormDialog } from '../../ui/dialogs/FormDialog';
// The server judges a stream's push URL as a webhook's (WebhooksService.checkUrl).
import { URL_HINT } from '../../ui/forms/url-hint';

/** What a 422 says of one field of `delivery` (`loc: ["body", "delivery", field]`). */
function deliveryError(error: unknown, field: string): string | null {
  if (!(error instanceof ApiError) || !Array.isArray(error.detail)) return null;
  const msgs = error.detail
    .filter((d) => d.loc[0] === 'body' && d.loc[1] === 'delivery' && d.loc[2] === field)
    .map((d) => d.msg);
  return msgs.length > 0 ? msgs.join(' ') : null;
}

/**
 * A new stream: where its SETs are pushed, the Authorization header sent with each (kept only
 * in this form until it is sent: the server stores it sealed and never shows it again), the
 * event types it asks for, and a description. Once created, the dialog closes on a notice.
 */
export function NewStreamDialog({
  onClose,
  onCreated,
}: {
  onClose: () => void;
  onCreated: (message: string) => void;
}) {
  const [url, setUrl] = useState('');
  const [authorization, setAuthorization] = useState('');
  const [events, setEvents] = useState<Set<string>>(new Set(STREAM_EVENTS.map((e) => e.uri)));
  const [description, setDescription] = useState('');
  const create = useCreateStream(() => {
    onCreated('Created the stream. Send it a verification event to check that it receives.');
    onClose();
  });
  const pick = (uri: string, on: boolean) =>
    setEvents((old) => {
      const next = new Set(old);
      if (on) next.add(uri);
      else next.delete(uri);
      return next;
    });
  const submit = () => {
    const header = authorization.trim();
    create.mutate({
      delivery: {
        method: PUSH_METHOD,
        endpoint_url: url.trim(),
        ...(header ? { authorization_header: header } : {}),
      },
      events_requested: STREAM_EVENTS.map((e) => e.uri).filter((uri) => events.has(uri)),
      description: description.trim(),
    });
  };
  return (
    <FormDialog
      title="New stream"
      submit="Create stream"
      onSubmit={submit}
      onClose={onClose}
      pending={create.isPending}
      error={create.error}
      wide
      intro={
        <p className="muted">
          Each change is pushed to the receiver as a Security Event Token, signed with a key of this
          installation's JWKS (RFC 8935 push).
        </p>
      }
    >
      <Field
        label="Endpoint URL"
        hint={URL_HINT}
        error={deliveryError(create.error, 'endpoint_url')}
      >
        {(p) => (
          <input
            {...p}
            className="input"
            type="url"
            required
            maxLength={2048}
            value={url}
            onChange={(e) => setUrl(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field
        label="Authorization header (optional)"
        hint="Sent as the Authorization header of every push, such as Bearer and a credential of the receiver's. Stored sealed, and never shown again."
        error={deliveryError(create.error, 'authorization_header')}
      >
        {(p) => (
          <input
            {...p}
            className="input"
            type="password"
            autoComplete="off"
            spellCheck={false}
            maxLength={1024}
            value={authorization}
            onChange={(e) => setAuthorization(e.currentTarget.value)}
          />
        )}
      </Field>
      <fieldset className="fieldset">
        <legend>Events</legend>
        <div className="check-grid">
          {STREAM_EVENTS.map((e) => (
            <Check
              key={e.uri}
              label={`${e.label}: ${e.means}`}
              checked={events.has(e.uri)}
              onChange={(on) => pick(e.uri, on)}
            />
          ))}
        </div>
        {events.size === 0 && (
          <p className="hint">
            With none, the stream is sent only the verification events asked for.
          </p>
        )}
      </fieldset>
      <Field label="Description" error={fieldError(create.error, 'description')}>
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
    </FormDialog>
  );
}
