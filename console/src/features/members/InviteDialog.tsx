import { useState } from 'react';
import { useInvite } from './invitations.api';
import type { Role } from '../../api/types';
import { Field } from '../../ui/forms/Field';
import { FormDialog } from '../../ui/dialogs/FormDialog';
import { RoleField } from '../../ui/forms/RoleField';

/**
 * Inviting a person by email: the link goes to them alone, so nothing secret is shown here.
 * Where the installation sends no email (no SMTP_URL), the API's 409 EMAIL_NOT_CONFIGURED is
 * the dialog's answer, shown as it is.
 */
export function InviteDialog({
  roles,
  onClose,
  onDone,
}: {
  roles: Role[];
  onClose: () => void;
  onDone: (m: string) => void;
}) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [hours, setHours] = useState('72');
  const invite = useInvite((i) => {
    onDone(`Invited ${i.email} as ${i.role}; the link works until ${i.expires_at}.`);
    onClose();
  });
  return (
    <FormDialog
      title="Invite by email"
      submit="Send invitation"
      onSubmit={() => invite.mutate({ email: email.trim(), role, expires_in_hours: Number(hours) })}
      onClose={onClose}
      pending={invite.isPending}
      error={invite.error}
      intro={
        <p className="muted">
          They get an email with a link that works once; following it makes them a member and gives
          them their first token.
        </p>
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
      <Field label="Hours the link works" hint="1 to 168 (a week).">
        {(p) => (
          <input
            {...p}
            className="input"
            type="number"
            required
            min={1}
            max={168}
            step={1}
            value={hours}
            onChange={(e) => setHours(e.currentTarget.value)}
          />
        )}
      </Field>
    </FormDialog>
  );
}
