import { useId, useState, type FormEvent } from 'react';
import { ErrorBox } from '../../ui/ErrorBox';
import { Field } from '../../ui/forms/Field';
import { Loading, Notice } from '../../ui/Status';
import { useAskApproval } from './consent.api';
import { refusalTitle } from './consent-refusals';

/**
 * What the person does when Allow was refused for want of an approver (403 APPROVAL_REQUIRED):
 * say why the app needs the scopes, and ask. Approved, the person starts again from the app,
 * whose next request finds the consent remembered; meanwhile Deny still tells the app.
 */
export function AskApproval({ request, scopes }: { request: string; scopes: string[] }) {
  const heading = useId();
  const [justification, setJustification] = useState('');
  const ask = useAskApproval(request);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const why = justification.trim();
    if (why) ask.mutate(why);
  };
  return (
    <section className="card" aria-labelledby={heading}>
      <h2 id={heading}>An approver must allow it</h2>
      <p>
        {scopes.length > 0 ? (
          <>
            Your business requires an approver for:{' '}
            {scopes.map((s, i) => (
              <span key={s}>
                {i > 0 && ', '}
                <code className="wrap">{s}</code>
              </span>
            ))}
            .
          </>
        ) : (
          'Your business requires an approver for some of what this app asks.'
        )}
        {!ask.isSuccess && ' Ask them, saying why the app needs it.'}
      </p>
      {ask.isSuccess ? (
        <Notice>
          {"Sent to your business's approvers. Once approved, start again from the app."}
        </Notice>
      ) : (
        <form className="form" onSubmit={submit}>
          <Field label="Justification" hint="Your approvers read it. Up to 500 characters.">
            {(p) => (
              <textarea
                {...p}
                className="input"
                required
                maxLength={500}
                rows={3}
                value={justification}
                onChange={(e) => setJustification(e.currentTarget.value)}
              />
            )}
          </Field>
          <ErrorBox error={ask.error} title={ask.error ? refusalTitle(ask.error) : undefined} />
          {ask.isPending && <Loading>Asking…</Loading>}
          <div className="actions">
            <button type="submit" className="button primary" disabled={ask.isPending}>
              Ask for approval
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
