import { useState, type FormEvent } from 'react';
import type { Directory } from '../../../api/directory';
import { useBulkRevoke } from '../../../api/resources/tokens.api';
import { useBusiness } from '../../../session';
import { Dialog } from '../../../ui/dialogs/Dialog';
import { ErrorBox } from '../../../ui/ErrorBox';
import { Check, Field } from '../../../ui/forms/Field';
import { utcToIso, UtcDateTimeInput } from '../../../ui/forms/UtcDateTime';
import { Loading, Notice } from '../../../ui/Status';
import { Id } from '../../../ui/lists/Table';
import { HolderField } from '../../../ui/tokens/TokenFilterFields';

interface Filters {
  identity_id: string;
  created_before: string;
  scope: string;
  all: boolean;
  reason: string;
}

const NONE: Filters = { identity_id: '', created_before: '', scope: '', all: false, reason: '' };

/** Bulk revoke (owner or admin with tokens:admin): a dry run shows what matches, then confirm. */
export function BulkRevokeDialog({
  directory,
  onClose,
  onDone,
}: {
  directory: Directory;
  onClose: () => void;
  onDone: (m: string) => void;
}) {
  const { whoami } = useBusiness();
  const [f, setF] = useState<Filters>(NONE);
  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => {
    setF((old) => ({ ...old, [key]: value }));
    preview.reset();
  };
  const body = (dryRun: boolean) => ({
    reason: f.reason.trim(),
    dry_run: dryRun,
    ...(f.identity_id.trim() ? { identity_id: f.identity_id.trim() } : {}),
    ...(utcToIso(f.created_before) ? { created_before: utcToIso(f.created_before) } : {}),
    ...(f.scope.trim() ? { scope: f.scope.trim() } : {}),
    ...(f.all ? { all: true as const } : {}),
  });
  const preview = useBulkRevoke();
  const confirm = useBulkRevoke();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    confirm.reset();
    preview.mutate(body(true));
  };
  const matched = preview.data;
  return (
    <Dialog title="Bulk revoke" onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <p>
          Revoke every unrevoked token that matches all the filters given. First see what matches;
          nothing is revoked until you confirm.
        </p>
        <HolderField
          label="Holder"
          value={f.identity_id}
          onChange={(id) => set('identity_id', id)}
          directory={directory}
          me={whoami.identity.id}
        />
        <Field label="Created before (UTC)" hint="In UTC, as every time the console shows.">
          {(p) => (
            <UtcDateTimeInput
              {...p}
              value={f.created_before}
              onChange={(v) => set('created_before', v)}
            />
          )}
        </Field>
        <Field
          label="Scope"
          hint="Tokens whose scopes grant it (unrestricted tokens are not matched)."
        >
          {(p) => (
            <input
              {...p}
              className="input"
              value={f.scope}
              onChange={(e) => set('scope', e.currentTarget.value)}
            />
          )}
        </Field>
        <Check
          label="Every token of the business"
          checked={f.all}
          onChange={(v) => set('all', v)}
        />
        <Field label="Reason">
          {(p) => (
            <input
              {...p}
              className="input"
              required
              maxLength={500}
              value={f.reason}
              onChange={(e) => set('reason', e.currentTarget.value)}
            />
          )}
        </Field>
        <ErrorBox error={preview.error} />
        {preview.isPending && <Loading>Counting…</Loading>}
        <div className="actions">
          <button type="submit" className="button" disabled={preview.isPending}>
            Preview bulk revoke
          </button>
          <button type="button" className="button ghost" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
      {matched && (
        <div className="bulk-preview">
          <Notice>
            {matched.matched === 1 ? '1 token matches.' : `${matched.matched} tokens match.`}
          </Notice>
          {matched.token_ids.length > 0 && (
            <ul className="id-list" aria-label="Matching token ids" tabIndex={0}>
              {matched.token_ids.map((id) => (
                <li key={id}>
                  <Id>{id}</Id>
                </li>
              ))}
            </ul>
          )}
          <ErrorBox error={confirm.error} />
          {confirm.isPending && <Loading>Revoking…</Loading>}
          {matched.matched > 0 && (
            <div className="actions">
              <button
                type="button"
                className="button danger"
                disabled={confirm.isPending}
                onClick={() =>
                  confirm.mutate(body(false), {
                    onSuccess: (result) => {
                      onDone(
                        `Bulk revoke done: ${result.revoked} of ${result.matched} matching tokens revoked.`,
                      );
                      onClose();
                    },
                  })
                }
              >
                Confirm bulk revoke
              </button>
            </div>
          )}
        </div>
      )}
    </Dialog>
  );
}
