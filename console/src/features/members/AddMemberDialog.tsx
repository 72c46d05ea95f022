import { useState } from 'react';
import { useAddMember } from '../../api/resources/members.api';
import type { Role } from '../../api/types';
import { Field } from '../../ui/forms/Field';
import { FormDialog } from '../../ui/dialogs/FormDialog';
import { RoleField } from '../../ui/forms/RoleField';
import { who } from './MemberParts';
import { SecretReveal } from '../../ui/forms/SecretReveal';
import { Notice } from '../../ui/Status';

/** Adding a member by email: once added, their first token is shown, once. */
export function AddMemberDialog({ roles, onClose }: { roles: Role[]; onClose: () => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const add = useAddMember();
  const added = add.data;
  return (
    <FormDialog
      title="Add a member"
      submit="Add member"
      onSubmit={() => add.mutate({ email: email.trim(), role })}
      onClose={onClose}
      pending={add.isPending}
      error={add.error}
      intro={
        <p className="muted">
          They get a first token (shown once, valid 7 days), with which they make their own.
        </p>
      }
      done={
        added && (
          <>
            <Notice>{`Added ${who(added.member)} as ${added.member.role}.`}</Notice>
            <SecretReveal
              secret={added.first_token.token}
              heading={`First token for ${who(added.member)}`}
              onDone={onClose}
            />
          </>
        )
      }
    >
      <Field label="Email">
        {(p) => (
          <input
            {...p}
            className="input"
            type="email"
            required
            maxLength={254}
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
          />
        )}
      </Field>
      <RoleField roles={roles} value={role} onChange={setRole} />
    </FormDialog>
  );
}
