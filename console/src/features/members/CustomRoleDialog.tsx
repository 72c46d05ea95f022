import { useState } from 'react';
import type { Member } from '../../api/types';
import { Field } from '../../ui/forms/Field';
import { FormDialog } from '../../ui/dialogs/FormDialog';
import { Loading } from '../../ui/Status';
import { ErrorBox } from '../../ui/ErrorBox';
import { useAssignCustomRole, useCustomRoles } from '../../api/resources/roles.api';
import { who } from './MemberParts';

/**
 * Giving a member one of the business's custom roles, or taking it back ("None"): their tokens
 * are bounded by its scopes at once, and their built-in role becomes its base role.
 */
export function CustomRoleDialog({
  member,
  current,
  onClose,
  onDone,
}: {
  member: Member;
  /** The custom role they hold now, when the console knows it. */
  current: string | null;
  onClose: () => void;
  onDone: (m: string) => void;
}) {
  const roles = useCustomRoles();
  const [chosen, setChosen] = useState(current ?? '');
  const assign = useAssignCustomRole((_, v) => {
    onDone(
      v.role
        ? `${who(v.member)} now holds ${v.role.name} (based on ${v.role.base_role}).`
        : `${who(v.member)} holds their built-in role only.`,
    );
    onClose();
  });
  const items = roles.data?.items ?? [];
  return (
    <FormDialog
      title={`Custom role of ${who(member)}`}
      submit="Save custom role"
      onSubmit={() => assign.mutate({ member, role: items.find((r) => r.id === chosen) ?? null })}
      onClose={onClose}
      pending={assign.isPending}
      error={assign.error}
      intro={
        <p className="muted">
          Every token of theirs in this business does only what both the token and the role allow,
          from the moment you save.
        </p>
      }
    >
      {roles.isPending && <Loading />}
      <ErrorBox error={roles.error} />
      <Field label="Custom role">
        {(p) => (
          <select
            {...p}
            className="input"
            value={chosen}
            onChange={(e) => setChosen(e.currentTarget.value)}
          >
            <option value="">None (built-in role only)</option>
            {items.map((r) => (
              <option key={r.id} value={r.id}>
                {`${r.name} (${r.base_role})`}
              </option>
            ))}
          </select>
        )}
      </Field>
    </FormDialog>
  );
}
