import { useState } from 'react';
import { useDisableToken } from '../../../api/resources/tokens.api';
import type { TokenView } from '../../../api/types';
import { Check } from '../../../ui/forms/Field';
import { ReasonDialog } from '../../../ui/dialogs/ReasonDialog';

/**
 * Pausing a token: a reason, whether the tokens it made are paused with it, then Confirm
 * disable. Unlike a revocation, Enable undoes it (token by token: never the children with it).
 */
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
  const [includeChildren, setIncludeChildren] = useState(false);
  return (
    <ReasonDialog
      title={`Disable “${token.name}”`}
      confirm="Confirm disable"
      busy="Disabling…"
      hint="Shown on the token and in the audit log (at most 500 characters)."
      run={(reason) => disable.mutateAsync({ id: token.id, reason, includeChildren })}
      onClose={onClose}
      onDone={(paused) => onDone(doneMessage(token.name, paused.children?.paused ?? null))}
    >
      <p>
        Every call made with it is refused (401 TOKEN_DISABLED), on every instance, until it is
        enabled again. It is not revoked.
      </p>
      <p>
        The tokens made with it keep working unless you pause them with it: then every active token
        that descends from it (made with it, or with those, and their successors) that you may pause
        is paused too. Enabling it later does not enable them.
      </p>
      <Check
        label="Also pause the tokens it made"
        checked={includeChildren}
        onChange={setIncludeChildren}
      />
    </ReasonDialog>
  );
}

/** What the notice says once paused: with children, how many were paused with it. */
function doneMessage(name: string, children: number | null): string {
  const paused =
    children === null
      ? `Disabled “${name}”`
      : `Disabled “${name}” and ${children} ${children === 1 ? 'token' : 'tokens'} made from it`;
  return `${paused}. Enable it to let it call again.`;
}
