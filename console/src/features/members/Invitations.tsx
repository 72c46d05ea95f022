import { useState } from 'react';
import { useInvitations, useResendInvitation, useRevokeInvitation } from './invitations.api';
import type { Invitation } from './invitations.api';
import { ConfirmDialog } from '../../ui/dialogs/ConfirmDialog';
import { DataTable } from '../../ui/lists/DataTable';
import { ErrorBox } from '../../ui/ErrorBox';
import { WholeListView } from '../../ui/lists/List';
import { Badge } from '../../ui/lists/Table';
import { Time } from '../../ui/Time';
import { Clip } from '../../ui/names/Clip';

const TONES: Record<Invitation['status'], string> = {
  pending: 'info',
  send_failed: 'bad',
  expired: 'warn',
  accepted: 'ok',
  revoked: 'neutral',
};

/**
 * The open invitations, under the Members list: who was invited, at which role, and whether
 * their link still works. `manage` offers Resend and Revoke; the API refuses what the caller may
 * not do (an admin on an owner's invitation), and its answer is shown above the table.
 */
export function Invitations({ manage, onDone }: { manage: boolean; onDone: (m: string) => void }) {
  const invitations = useInvitations();
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const resend = useResendInvitation((i) =>
    onDone(`Sent ${i.email} a new link; the old one no longer works.`),
  );
  const revoke = useRevokeInvitation((i) =>
    onDone(`Revoked the invitation of ${i.email}; its link no longer works.`),
  );
  return (
    <>
      <h2>Invitations</h2>
      <ErrorBox error={resend.error} />
      <WholeListView query={invitations} empty="No open invitations">
        {(items) => (
          <DataTable
            label="Invitations"
            rows={items}
            rowKey={(i) => i.id}
            columns={[
              { header: 'Email', primary: true, cell: (i) => <Clip text={i.email} /> },
              { header: 'Role', cell: (i) => i.role },
              {
                header: 'Status',
                cell: (i) => <Badge tone={TONES[i.status]}>{i.status.replace('_', ' ')}</Badge>,
              },
              { header: 'Expires', cell: (i) => <Time iso={i.expires_at} /> },
              { header: 'Invited by', cell: (i) => <Clip text={i.invited_by} /> },
              manage && {
                header: 'Actions',
                actions: true,
                cell: (i) => (
                  <>
                    <button
                      type="button"
                      className="button small"
                      disabled={resend.isPending}
                      onClick={() => resend.mutate(i)}
                    >
                      Resend
                    </button>
                    <button
                      type="button"
                      className="button small danger-outline"
                      onClick={() => setRevoking(i)}
                    >
                      Revoke
                    </button>
                  </>
                ),
              },
            ]}
          />
        )}
      </WholeListView>
      {revoking && (
        <ConfirmDialog
          title={`Revoke the invitation of ${revoking.email}`}
          confirm="Revoke invitation"
          mutation={revoke}
          subject={revoking}
          onClose={() => setRevoking(null)}
        >
          <p>
            The link sent to {revoking.email} stops working at once. To invite them again, send a
            new invitation.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
