import { useState } from 'react';
import { fieldError } from '../../api/errors';
import { usePutTokenPolicy } from '../../api/resources/token-policy.api';
import type { NewTokenPolicy, TokenPolicy } from '../../api/types';
import { Check, Field } from '../../ui/forms/Field';
import { FormDialog } from '../../ui/dialogs/FormDialog';
import { ListArea, NumberInput, TextInput } from '../../ui/forms/inputs';
import { ScopeSuggestions } from '../../ui/forms/ScopeSuggestions';
import { cidrList, scopeList } from '../../ui/forms/token-form';

const days = (text: string) => (text.trim() ? Number(text) : null);
const orNull = (items: string[]) => (items.length > 0 ? items : null);

/** The whole policy, as PUT takes it: an empty field sets no rule. */
export function PolicyDialog({
  policy,
  onClose,
  onDone,
}: {
  policy: TokenPolicy;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const [maxDays, setMaxDays] = useState(String(policy.max_lifetime_days ?? ''));
  const [requireExpiry, setRequireExpiry] = useState(policy.require_expiry);
  const [scopes, setScopes] = useState(policy.allowed_scopes?.join(', ') ?? '');
  const [cidrs, setCidrs] = useState(policy.required_cidrs?.join('\n') ?? '');
  const [idleDays, setIdleDays] = useState(String(policy.inactivity_revoke_days ?? ''));
  const put = usePutTokenPolicy(() => {
    onDone('Policy saved. Tokens issued from now on keep it; existing ones are listed below.');
    onClose();
  });
  const errorAt = (field: string) => fieldError(put.error, field);

  const submit = () => {
    const body: NewTokenPolicy = {
      max_lifetime_days: days(maxDays),
      require_expiry: requireExpiry,
      allowed_scopes: orNull(scopeList(scopes)),
      required_cidrs: orNull(cidrList(cidrs)),
      inactivity_revoke_days: days(idleDays),
    };
    put.mutate(body);
  };

  return (
    <FormDialog
      title="Edit token policy"
      submit="Save policy"
      onSubmit={submit}
      onClose={onClose}
      pending={put.isPending}
      error={put.error}
      wide
      intro={
        <p>
          Every token issued from now on keeps these rules, on every path. Existing tokens are not
          changed: those that break the rules are listed as violations.
        </p>
      }
    >
      <div className="grid-2">
        <Field
          label="Maximum lifetime (days)"
          hint="1 to 3650. Empty: no maximum."
          error={errorAt('max_lifetime_days')}
        >
          {(p) => <NumberInput {...p} max={3650} value={maxDays} onChange={setMaxDays} />}
        </Field>
        <Field
          label="Revoke when unused for (days)"
          hint="8 to 3650, reason “inactive”. Empty: never."
          error={errorAt('inactivity_revoke_days')}
        >
          {(p) => <NumberInput {...p} min={8} max={3650} value={idleDays} onChange={setIdleDays} />}
        </Field>
        <Field
          label="Allowed scopes"
          hint="Patterns, comma-separated, e.g. deploy:*, audit:read. Empty: any scopes."
          error={errorAt('allowed_scopes')}
        >
          {(p) => <TextInput {...p} value={scopes} onChange={setScopes} />}
        </Field>
        <ScopeSuggestions value={scopes} onChange={setScopes} />
        <Field
          label="Required networks"
          hint="One CIDR per line. Empty: anywhere."
          error={errorAt('required_cidrs')}
        >
          {(p) => <ListArea {...p} value={cidrs} onChange={setCidrs} />}
        </Field>
      </div>
      <Check
        label="Require an expiry (refuse a token with none, rather than give it the maximum)"
        checked={requireExpiry}
        onChange={setRequireExpiry}
      />
    </FormDialog>
  );
}
