import { useState } from 'react';
import { ScopeSuggestions } from '../../ui/forms/ScopeSuggestions';
import { scopeList } from '../../ui/forms/token-form';
import {
  useCreateCustomRole,
  useSetRoleScopes,
  type CustomRole,
} from '../../api/resources/roles.api';
import { Field } from '../../ui/forms/Field';
import { FormDialog } from '../../ui/dialogs/FormDialog';

const SCOPES_HINT =
  'Separated by commas or spaces, e.g. "deploy:*, tokens:read". None: its holders only manage their own tokens. Within the base role and your own token.';

/** Making a custom role, or (given `role`) changing its scopes: its base role never changes. */
export function RoleFormDialog({
  role,
  onClose,
  onDone,
}: {
  role?: CustomRole;
  onClose: () => void;
  onDone: (m: string) => void;
}) {
  const [name, setName] = useState('');
  const [base, setBase] = useState<CustomRole['base_role']>('member');
  const [scopes, setScopes] = useState(role ? role.scopes.join(', ') : '');
  const create = useCreateCustomRole((r) => {
    onDone(`Made the role ${r.name}.`);
    onClose();
  });
  const update = useSetRoleScopes((r) => {
    onDone(`Changed the scopes of ${r.name}; its holders' tokens are bounded by them now.`);
    onClose();
  });
  const scopesField = (
    <>
      <Field label="Scopes" hint={SCOPES_HINT}>
        {(p) => (
          <textarea
            {...p}
            className="input"
            rows={3}
            spellCheck={false}
            value={scopes}
            onChange={(e) => setScopes(e.currentTarget.value)}
          />
        )}
      </Field>
      <ScopeSuggestions value={scopes} onChange={setScopes} />
    </>
  );
  if (role) {
    return (
      <FormDialog
        title={`Change the scopes of ${role.name}`}
        submit="Save scopes"
        onSubmit={() => update.mutate({ role, scopes: scopeList(scopes) })}
        onClose={onClose}
        pending={update.isPending}
        error={update.error}
        intro={<p className="muted">{`Based on ${role.base_role}: that never changes.`}</p>}
      >
        {scopesField}
      </FormDialog>
    );
  }
  return (
    <FormDialog
      title="New custom role"
      submit="Create role"
      onSubmit={() =>
        create.mutate({ name: name.trim(), base_role: base, scopes: scopeList(scopes) })
      }
      onClose={onClose}
      pending={create.isPending}
      error={create.error}
    >
      <Field label="Name" hint="1 to 40 of a-z, 0-9, _ and -.">
        {(p) => (
          <input
            {...p}
            className="input"
            required
            maxLength={40}
            pattern="[a-z0-9_\-]{1,40}"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Base role" hint="Who its holders may act on; their scopes lie within it.">
        {(p) => (
          <select
            {...p}
            className="input"
            value={base}
            onChange={(e) => setBase(e.currentTarget.value as CustomRole['base_role'])}
          >
            <option value="member">member</option>
            <option value="admin">admin</option>
          </select>
        )}
      </Field>
      {scopesField}
    </FormDialog>
  );
}
