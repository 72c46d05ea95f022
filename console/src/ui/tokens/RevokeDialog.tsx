import type { ReactNode } from 'react';
import { ReasonDialog } from '../dialogs/ReasonDialog';

export interface RevokeAnswer {
  code: string | null;
}

/**
 * Revocation's confirmation step: a required reason, then Confirm revoke. `revoke` makes the
 * call; `onDone` gets the line to show once it is done.
 */
export function RevokeDialog({
  what,
  revoke,
  onClose,
  onDone,
  children,
}: {
  what: string;
  revoke: (reason: string) => Promise<RevokeAnswer>;
  onClose: () => void;
  onDone: (message: string) => void;
  children?: ReactNode;
}) {
  return (
    <ReasonDialog
      title={`Revoke ${what}`}
      confirm="Confirm revoke"
      busy="Revoking…"
      hint="Kept in the token's record and the audit log (at most 500 characters)."
      run={revoke}
      onClose={onClose}
      onDone={(answer) =>
        onDone(
          answer.code === 'ALREADY_REVOKED' ? `${what} was already revoked.` : `Revoked ${what}.`,
        )
      }
    >
      <p>
        Every call made with it is refused from now on, on every instance. This cannot be undone.
      </p>
      {children}
    </ReasonDialog>
  );
}
