import { useState, type FormEvent } from 'react';
import { useRotateToken } from '../../../api/resources/tokens.api';
import type { TokenView } from '../../../api/types';
import { Link, paths } from '../../../router';
import { Dialog } from '../../../ui/dialogs/Dialog';
import { ErrorBox } from '../../../ui/ErrorBox';
import { Field } from '../../../ui/forms/Field';
import { SecretReveal } from '../../../ui/forms/SecretReveal';
import { Loading } from '../../../ui/Status';

const MAX_GRACE = 604_800;

/** Rotation: a grace period for the old token, then the new secret, once. */
export function RotateDialog({
  token,
  onClose,
}: {
  token: Pick<TokenView, 'id' | 'name'>;
  onClose: () => void;
}) {
  const [grace, setGrace] = useState('0');
  const mutation = useRotateToken();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const seconds = Number(grace || '0');
    if (Number.isInteger(seconds) && seconds >= 0 && seconds <= MAX_GRACE)
      mutation.mutate({ id: token.id, graceSeconds: seconds });
  };
  const issued = mutation.data;
  return (
    <Dialog title={`Rotate “${token.name}”`} onClose={onClose}>
      {issued ? (
        <>
          <SecretReveal
            secret={issued.token}
            heading={`New token for “${issued.name}”`}
            onDone={onClose}
          />
          <p>
            <Link to={paths.token(issued.id)} onClick={onClose}>
              Open the new token
            </Link>
          </p>
        </>
      ) : (
        <form className="form" onSubmit={submit}>
          <p>
            Issues a new token with the same name, scopes and lifetime. The old one stops working
            after the grace period (0: at once).
          </p>
          <Field label="Grace period (seconds)" hint={`0 to ${MAX_GRACE} (7 days).`}>
            {(p) => (
              <input
                {...p}
                className="input"
                type="number"
                inputMode="numeric"
                min={0}
                max={MAX_GRACE}
                step={1}
                required
                value={grace}
                onChange={(e) => setGrace(e.currentTarget.value)}
              />
            )}
          </Field>
          <ErrorBox error={mutation.error} />
          {mutation.isPending && <Loading>Rotating…</Loading>}
          <div className="actions">
            <button type="submit" className="button primary" disabled={mutation.isPending}>
              Confirm rotate
            </button>
            <button type="button" className="button ghost" onClick={onClose}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
