import { useDisableToken } from '../api/tokens';
import type { TokenView } from '../api/types';
import { ReasonDialog } from './ReasonDialog';

/** Pausing a token: a reason, then Confirm disable. Unlike a revocation, Enable undoes it. */
export function DisableDialog({
  token,
  onClose,
  onDone,
}: {
  token: TokenView;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const disable = useDisableToken();
  return (
    <ReasonDialog
      title={`Disable “${token.name}”`}
      confirm="Confirm disable"
      busy="Disabling…"
      hint="Shown on the token and in the audit log (at most 500 characters)."
      run={(reason) => disable.mutateAsync({ id: token.id, reason })}
      onClose={onClose}
      onDone={() => onDone(`Disabled “${token.name}”. Enable it to let it call again.`)}
    >
      <p>
        Every call made with it is refused (401 TOKEN_DISABLED), on every instance, until it is
        enabled again. It is not revoked.
      </p>
    </ReasonDialog>
  );
}
