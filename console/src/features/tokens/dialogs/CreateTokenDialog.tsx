import { useState } from 'react';
import { fieldError } from '../../../api/errors';
import { useCreateToken, type CreateTokenBody } from '../../../api/resources/tokens.api';
import type { Machine } from '../../../api/types';
import { useBusiness } from '../../../session';
import { Field } from '../../../ui/forms/Field';
import { FormDialog } from '../../../ui/dialogs/FormDialog';
import { ListArea, NumberInput, TextInput } from '../../../ui/forms/inputs';
import { SecretReveal } from '../../../ui/forms/SecretReveal';
import { cidrList, parseMeta, scopeList } from '../../../ui/forms/token-form';
import { MetaField } from '../../../ui/tokens/MetaField';
import { ScopeSuggestions } from '../../../ui/forms/ScopeSuggestions';
import { UsesFields, type Uses } from '../form/UsesFields';

const DAY = 86_400_000;

/**
 * 90 days, or less when the signed-in token expires sooner: a token never outlives its maker
 * (a first token lives 7 days), so the default should not be refused.
 */
function defaultDays(makerExpiresAt: string | null): string {
  if (!makerExpiresAt) return '90';
  const left = Math.floor((Date.parse(makerExpiresAt) - Date.now()) / DAY);
  return left >= 1 ? String(Math.min(90, left)) : '';
}

/**
 * A new token, in a dialog: for oneself, or (owner or admin with tokens:admin) for a machine
 * identity. Its secret then takes the form's place, shown once.
 */
export function CreateTokenDialog({
  machines,
  onClose,
}: {
  machines: Machine[];
  onClose: () => void;
}) {
  const { caps, whoami } = useBusiness();
  const maxDays = defaultDays(whoami.token.expires_at);
  // What the hint promises, enforced by the field itself: the browser refuses the form first.
  const daysMax = whoami.token.expires_at ? Number(maxDays) || 1 : 365;
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState('');
  const [days, setDays] = useState(maxDays);
  const [cidrs, setCidrs] = useState('');
  const [rate, setRate] = useState('');
  const [holder, setHolder] = useState('');
  const [uses, setUses] = useState<Uses>({ limit: '', interval: '', amount: '' });
  const [meta, setMeta] = useState('');
  const create = useCreateToken();
  const parsedMeta = parseMeta(meta);
  const [metaTried, setMetaTried] = useState(false);
  const errorAt = (field: string) => fieldError(create.error, field);

  const submit = () => {
    setMetaTried(true);
    if ('error' in parsedMeta) return;
    const body: CreateTokenBody = { name: name.trim() };
    const scoped = scopeList(scopes);
    if (scoped.length > 0) body.scopes = scoped;
    if (days.trim()) body.expires_in_days = Number(days);
    const networks = cidrList(cidrs);
    if (networks.length > 0) body.allowed_cidrs = networks;
    if (rate.trim()) body.rate_limit_per_minute = Number(rate);
    if (holder) body.identity_id = holder;
    if (uses.limit.trim()) body.uses_limit = Number(uses.limit);
    if (uses.interval && uses.amount.trim()) {
      body.refill = { interval: uses.interval, amount: Number(uses.amount) };
    }
    if (parsedMeta.meta) body.meta = parsedMeta.meta;
    create.mutate(body);
  };

  const holders = caps.tokensAdmin ? machines : [];
  const issued = create.data;
  return (
    <FormDialog
      title="New token"
      submit="Create token"
      onSubmit={submit}
      onClose={onClose}
      pending={create.isPending}
      error={create.error}
      wide
      done={
        issued && (
          <SecretReveal
            key={issued.id}
            secret={issued.token}
            heading={`Token “${issued.name}” created`}
            onDone={onClose}
          />
        )
      }
    >
      <div className="grid-2">
        <Field label="Name" hint="1 to 100 characters, e.g. ci-deploy." error={errorAt('name')}>
          {(p) => (
            <input
              {...p}
              className="input"
              required
              maxLength={100}
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
            />
          )}
        </Field>
        {holders.length > 0 && (
          <Field label="Holder" hint="Yourself, or a machine identity of the business.">
            {(p) => (
              <select
                {...p}
                className="input"
                value={holder}
                onChange={(e) => setHolder(e.currentTarget.value)}
              >
                <option value="">Myself</option>
                {holders.map((m) => (
                  <option key={m.id} value={m.id}>
                    machine: {m.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <Field
          label="Scopes"
          hint="Comma-separated, e.g. deploy:write, audit:read. Empty: unrestricted within the role."
          error={errorAt('scopes')}
        >
          {(p) => <TextInput {...p} value={scopes} onChange={setScopes} />}
        </Field>
        <ScopeSuggestions value={scopes} onChange={setScopes} />
        <Field
          label="Expires in (days)"
          hint={
            whoami.token.expires_at
              ? `1 to ${daysMax}: never later than the token you signed in with.`
              : '1 to 365. Empty: never expires.'
          }
          error={errorAt('expires_in_days')}
        >
          {(p) => <NumberInput {...p} min={1} max={daysMax} value={days} onChange={setDays} />}
        </Field>
        <Field
          label="Rate limit per minute"
          hint="Empty: no limit of its own."
          error={errorAt('rate_limit_per_minute')}
        >
          {(p) => <NumberInput {...p} max={1_000_000} value={rate} onChange={setRate} />}
        </Field>
        <Field
          label="Allowed networks"
          hint="One CIDR per line, e.g. 10.0.0.0/8. Empty: anywhere."
          error={errorAt('allowed_cidrs')}
        >
          {(p) => <ListArea {...p} value={cidrs} onChange={setCidrs} />}
        </Field>
        <UsesFields uses={uses} onChange={setUses} errorAt={errorAt} />
        <MetaField
          value={meta}
          onChange={setMeta}
          error={(metaTried && 'error' in parsedMeta ? parsedMeta.error : null) ?? errorAt('meta')}
        />
      </div>
    </FormDialog>
  );
}
