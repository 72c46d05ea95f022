import { useState } from 'react';
import { fieldError } from '../../../api/errors';
import { useUpdateToken } from '../../../api/resources/tokens.api';
import type { TokenEdit, TokenView } from '../../../api/types';
import { Field } from '../../../ui/forms/Field';
import { FormDialog } from '../../../ui/dialogs/FormDialog';
import { ListArea, NumberInput, TextInput } from '../../../ui/forms/inputs';
import { isoToUtc, utcToIso, UtcDateTimeInput } from '../../../ui/forms/UtcDateTime';
import { MetaField } from '../../../ui/tokens/MetaField';
import { cidrList, metaText, parseMeta, scopeList } from '../../../ui/forms/token-form';

const text = (n: number | null) => (n === null ? '' : String(n));

/** The form's fields as typed, first filled from the token. */
function fieldsOf(token: TokenView) {
  return {
    name: token.name,
    scopes: token.scopes?.join(', ') ?? '',
    expires: isoToUtc(token.expires_at),
    cidrs: token.allowed_cidrs?.join('\n') ?? '',
    rate: text(token.rate_limit_per_minute),
    uses: text(token.uses_limit),
    meta: metaText(token.meta),
  };
}
type Fields = ReturnType<typeof fieldsOf>;

interface FieldSpec {
  key: Exclude<keyof Fields, 'meta'>;
  /** The body field the server's errors name. */
  api: string;
  label: string;
  hint?: string;
  kind: 'text' | 'number' | 'list' | 'instant';
}

const FIELDS: FieldSpec[] = [
  { key: 'name', api: 'name', label: 'Name', kind: 'text' },
  {
    key: 'scopes',
    api: 'scopes',
    label: 'Scopes',
    hint: 'A subset of its own, comma-separated. Emptied: none (its holder’s own tokens only).',
    kind: 'text',
  },
  {
    key: 'expires',
    api: 'expires_at',
    label: 'Expires (UTC)',
    hint: 'In UTC. Only sooner, and in the future.',
    kind: 'instant',
  },
  {
    key: 'rate',
    api: 'rate_limit_per_minute',
    label: 'Rate limit per minute',
    hint: 'Only lower.',
    kind: 'number',
  },
  {
    key: 'uses',
    api: 'uses_limit',
    label: 'Uses limit',
    hint: 'Only lower; the uses left drop with it.',
    kind: 'number',
  },
  {
    key: 'cidrs',
    api: 'allowed_cidrs',
    label: 'Allowed networks',
    hint: 'One CIDR per line, each within its own.',
    kind: 'list',
  },
];

/**
 * The PATCH of what was changed, or the form's own complaint about a field. The server refuses
 * anything wider than the token (403 WIDENING_NOT_ALLOWED), shown at the field it names.
 */
function editOf(token: TokenView, was: Fields, now: Fields) {
  const body: TokenEdit = {};
  const local: Partial<Record<keyof Fields, string>> = {};
  if (now.name.trim() !== was.name) body.name = now.name.trim();
  if (now.scopes !== was.scopes)
    body.scopes = token.scopes === null && !now.scopes.trim() ? null : scopeList(now.scopes);
  if (now.expires !== was.expires) {
    body.expires_at = now.expires ? (utcToIso(now.expires) ?? now.expires) : null;
  }
  if (now.cidrs !== was.cidrs) {
    const networks = cidrList(now.cidrs);
    body.allowed_cidrs = networks.length > 0 ? networks : null;
  }
  if (now.rate !== was.rate) body.rate_limit_per_minute = now.rate.trim() ? Number(now.rate) : null;
  if (now.uses !== was.uses) {
    if (now.uses.trim()) body.uses_limit = Number(now.uses);
    else local.uses = 'A uses limit can be lowered, not removed.';
  }
  if (now.meta !== was.meta) {
    const parsed = parseMeta(now.meta);
    if ('error' in parsed) local.meta = parsed.error;
    else body.meta = parsed.meta;
  }
  return { body, local };
}

/**
 * Editing a token in place: its name and meta, and narrowing it (fewer scopes, a sooner expiry,
 * networks within its own, lower limits) without a new secret.
 */
export function EditTokenDialog({
  token,
  onClose,
  onDone,
}: {
  token: TokenView;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const [was] = useState(() => fieldsOf(token));
  const [now, setNow] = useState(was);
  const [local, setLocal] = useState<Partial<Record<keyof Fields, string>>>({});
  const update = useUpdateToken();
  const set = (part: Partial<Fields>) => setNow((f) => ({ ...f, ...part }));
  const errorAt = (field: string, key: keyof Fields) =>
    local[key] ?? fieldError(update.error, field);

  const submit = () => {
    const edit = editOf(token, was, now);
    setLocal(edit.local);
    if (Object.keys(edit.local).length > 0) return;
    if (Object.keys(edit.body).length === 0) return onClose();
    update.mutate(
      { id: token.id, body: edit.body },
      {
        onSuccess: () => {
          onDone(`Saved “${now.name.trim()}”.`);
          onClose();
        },
      },
    );
  };
  /** A field's control, given its Field's props (id, hint and error). */
  const control = ({ key, kind }: FieldSpec, p: { id: string }) => {
    const bind = { ...p, value: now[key], onChange: (v: string) => set({ [key]: v }) };
    if (kind === 'number') return <NumberInput {...bind} />;
    if (kind === 'list') return <ListArea {...bind} />;
    if (kind === 'text') return <TextInput {...bind} />;
    return <UtcDateTimeInput {...bind} />;
  };

  return (
    <FormDialog
      title={`Edit “${token.name}”`}
      submit="Save changes"
      onSubmit={submit}
      onClose={onClose}
      pending={update.isPending}
      error={update.error}
      wide
      intro={
        <p>
          An edit only narrows a token: fewer scopes, a sooner expiry, networks within its own,
          lower limits. Its secret stays the same.
        </p>
      }
    >
      <div className="grid-2">
        {FIELDS.map((f) => (
          <Field key={f.key} label={f.label} hint={f.hint} error={errorAt(f.api, f.key)}>
            {(p) => control(f, p)}
          </Field>
        ))}
        <MetaField
          value={now.meta}
          onChange={(meta) => set({ meta })}
          error={errorAt('meta', 'meta')}
        />
      </div>
    </FormDialog>
  );
}
