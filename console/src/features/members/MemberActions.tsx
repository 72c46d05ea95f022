import { useState } from 'react';
import { useChangeRole } from '../../api/resources/members.api';
import type { Member, Role } from '../../api/types';
import { FormDialog } from '../../ui/dialogs/FormDialog';
import { RoleField } from '../../ui/forms/RoleField';
import { who } from './MemberParts';

/**
 * A member row's buttons. The screen decides which the caller may use on this member
 * (`mayManage`, `mayReissue`) and opens the dialog each one names.
 */
export function MemberActions({
  member,
  mayManage,
  mayReissue,
  onChangeRole,
  onCustomRole,
  onReissue,
  onRemove,
}: {
  member: Member;
  mayManage: boolean;
  mayReissue: boolean;
  onChangeRole: (m: Member) => void;
  /** Absent where the caller may not give custom roles. */
  onCustomRole?: (m: Member) => void;
  onReissue: (m: Member) => void;
  onRemove: (m: Member) => void;
}) {
  return (
    <>
      {mayManage && (
        <button type="button" className="button small" onClick={() => onChangeRole(member)}>
          Change role
        </button>
      )}
      {mayManage && onCustomRole && (
        <button type="button" className="button small" onClick={() => onCustomRole(member)}>
          Custom role
        </button>
      )}
      {mayReissue && (
        <button type="button" className="button small" onClick={() => onReissue(member)}>
          Re-issue first token
        </button>
      )}
      {mayManage && (
        <button
          type="button"
          className="button small danger-outline"
          onClick={() => onRemove(member)}
        >
          Remove
        </button>
      )}
    </>
  );
}

/** Change role's form, opened from a member's row: only the roles the caller may give. */
export function RoleDialog({
  member,
  roles,
  onClose,
  onDone,
}: {
  member: Member;
  roles: Role[];
  onClose: () => void;
  onDone: (m: string) => void;
}) {
  const [role, setRole] = useState<Role>(member.role);
  const change = useChangeRole((m) => {
    onDone(`${who(m)} is now ${m.role}.`);
    onClose();
  });
  return (
    <FormDialog
      title={`Change the role of ${who(member)}`}
      submit="Save role"
      onSubmit={() => change.mutate({ member, role })}
      onClose={onClose}
      pending={change.isPending}
      error={change.error}
    >
      <RoleField roles={roles} value={role} onChange={setRole} />
    </FormDialog>
  );
}
