import { useState } from 'react';
import { useRequestToken } from './requests.api';
import { NumberInput, TextInput } from '../../ui/forms/inputs';
import { ScopeSuggestions } from '../../ui/forms/ScopeSuggestions';
import { scopeList } from '../../ui/forms/token-form';
import { Field } from '../../ui/forms/Field';
import { FormDialog } from '../../ui/dialogs/FormDialog';

/**
 * Asking for a token the business makes nobody issue alone: the body of a create plus a
 * justification. No token exists yet; the requester collects it once an owner or admin approves.
 */
export function RequestTokenDialog({
  onClose,
  onDone,
}: {
  onClose: () => void;
  onDone: (m: string) => void;
}) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState('');
  const [days, setDays] = useState('30');
  const [why, setWhy] = useState('');
  const request = useRequestToken((r) => {
    onDone(`Asked for the token ${r.name}; an owner or admin decides.`);
    onClose();
  });
  const send = () =>
    request.mutate({
      name: name.trim(),
      ...(scopes.trim() ? { scopes: scopeList(scopes) } : {}),
      ...(days.trim() ? { expires_in_days: Number(days) } : {}),
      justification: why.trim(),
    });
  return (
    <FormDialog
      title="Request a token"
      submit="Send request"
      onSubmit={send}
      onClose={onClose}
      pending={request.isPending}
      error={request.error}
      intro={
        <p className="muted">
          An owner or admin approves or denies it; once approved, you collect the token here, once.
        </p>
      }
    >
      <Field label="Name">
        {(p) => (
          <input
            {...p}
            className="input"
            required
            maxLength={100}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Scopes" hint="Separated by spaces or commas, e.g. deploy:prod.">
        {(p) => <TextInput {...p} value={scopes} onChange={setScopes} />}
      </Field>
      <ScopeSuggestions value={scopes} onChange={setScopes} />
      <Field label="Expires in days" hint="Leave empty for no expiry.">
        {(p) => <NumberInput {...p} value={days} onChange={setDays} />}
      </Field>
      <Field label="Justification" hint="Why the token is needed, for the approver.">
        {(p) => (
          <textarea
            {...p}
            className="input"
            required
            maxLength={500}
            rows={3}
            value={why}
            onChange={(e) => setWhy(e.currentTarget.value)}
          />
        )}
      </Field>
    </FormDialog>
  );
}
