import { useState } from 'react';
import { useMachines } from '../../api/resources/machines.api';
import { useCreateTrustRule, useDeleteTrustRule, useTrustRules } from './trust-rules.api';
import type { NewTrustRule, TrustRule } from '../../api/types';
import { ConfirmDialog } from '../../ui/dialogs/ConfirmDialog';
import { DataTable } from '../../ui/lists/DataTable';
import { Field } from '../../ui/forms/Field';
import { FormDialog } from '../../ui/dialogs/FormDialog';
import { WholeListView } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { Loading, Notice } from '../../ui/Status';
import { Badge } from '../../ui/lists/Table';
import { Link, paths } from '../../router';
import { useBusiness } from '../../session';
import { TRUST_RULE_COLUMNS } from './trust-rule-columns';
import { IconPlus } from '../../ui/brand/icons';

const GITHUB = 'https://token.actions.githubusercontent.com';

/** `name=value`, one a line, as a rule's `claims`; blank lines are skipped. */
function claimsOf(text: string): Record<string, string> | undefined {
  const entries = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line): [string, string] => {
      const at = line.indexOf('=');
      return at < 0 ? [line, ''] : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
    });
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/** The keys as typed: inline JSON when it parses, else as typed, for the API to refuse. */
function jwksOf(text: string): NewTrustRule['jwks'] {
  try {
    return JSON.parse(text) as NewTrustRule['jwks'];
  } catch {
    return text as unknown as NewTrustRule['jwks'];
  }
}

function NewTrustRuleDialog({
  identityId,
  onClose,
  onDone,
}: {
  identityId: string;
  onClose: () => void;
  onDone: (m: string) => void;
}) {
  const [issuer, setIssuer] = useState(GITHUB);
  const [keysAt, setKeysAt] = useState(`${GITHUB}/.well-known/jwks`);
  const [inline, setInline] = useState('');
  const [audience, setAudience] = useState('');
  const [subject, setSubject] = useState('');
  const [claims, setClaims] = useState('');
  const [scopes, setScopes] = useState('');
  const [ttl, setTtl] = useState('900');
  const create = useCreateTrustRule(identityId, (r) => {
    onDone(`Trusted ${r.issuer} for ${r.subject}.`);
    onClose();
  });
  const submit = () =>
    create.mutate({
      issuer: issuer.trim(),
      ...(inline.trim() ? { jwks: jwksOf(inline) } : { jwks_uri: keysAt.trim() }),
      audience: audience.trim(),
      subject: subject.trim(),
      ...(claimsOf(claims) ? { claims: claimsOf(claims) } : {}),
      scopes: scopes.split(/[\s,]+/).filter(Boolean),
      max_ttl_seconds: Number(ttl),
    });
  return (
    <FormDialog
      title="New trust rule"
      submit="Create trust rule"
      onSubmit={submit}
      onClose={onClose}
      pending={create.isPending}
      error={create.error}
      wide
      intro={
        <p className="hint">
          A workload whose OIDC token matches this rule may exchange it at POST /oauth2/token for a
          short-lived token of this machine, with no stored secret (docs/federation.md).
        </p>
      }
    >
      <Field label="Issuer" hint="An https URL, compared exactly with the token's iss.">
        {(p) => (
          <input
            {...p}
            className="input mono"
            required
            value={issuer}
            onChange={(e) => setIssuer(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Keys URL (jwks_uri)" hint="Where the issuer publishes its keys.">
        {(p) => (
          <input
            {...p}
            className="input mono"
            value={keysAt}
            onChange={(e) => setKeysAt(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Or the keys inline (JWKS)" hint='{"keys": [...]}: public keys only.'>
        {(p) => (
          <textarea
            {...p}
            className="input mono"
            rows={3}
            value={inline}
            onChange={(e) => setInline(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Audience" hint="Compared exactly with the token's aud.">
        {(p) => (
          <input
            {...p}
            className="input mono"
            required
            value={audience}
            onChange={(e) => setAudience(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field
        label="Subject"
        hint="Exact, or * for any run of characters but a colon: repo:acme/api:ref:refs/heads/*"
      >
        {(p) => (
          <input
            {...p}
            className="input mono"
            required
            value={subject}
            onChange={(e) => setSubject(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Other claims" hint="name=value, one a line, e.g. repository_owner=acme.">
        {(p) => (
          <textarea
            {...p}
            className="input mono"
            rows={2}
            value={claims}
            onChange={(e) => setClaims(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Scopes" hint="What the exchanged token may do, e.g. deploy:write.">
        {(p) => (
          <input
            {...p}
            className="input mono"
            required
            value={scopes}
            onChange={(e) => setScopes(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Longest life, in seconds" hint="60 to 3600.">
        {(p) => (
          <input
            {...p}
            className="input"
            type="number"
            min={60}
            max={3600}
            required
            value={ttl}
            onChange={(e) => setTtl(e.currentTarget.value)}
          />
        )}
      </Field>
    </FormDialog>
  );
}

/** A machine identity, and the trust rules that let workloads obtain its tokens. */
export function MachineDetail({ id }: { id: string }) {
  const { caps } = useBusiness();
  const machines = useMachines();
  const rules = useTrustRules(id);
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<TrustRule | null>(null);
  const remove = useDeleteTrustRule(id, (r) =>
    setNotice(`Deleted the trust rule for ${r.subject}. Tokens it issued stay until they expire.`),
  );
  const machine = machines.data?.items.find((m) => m.id === id);
  return (
    <>
      <PageHead
        title="Machine identity"
        lead={
          machines.isPending ? (
            <Loading />
          ) : (
            <>
              <code>{machine?.name ?? id}</code>{' '}
              {machine?.role && (
                <Badge tone={machine.role === 'admin' ? 'info' : 'neutral'}>{machine.role}</Badge>
              )}{' '}
              <Link to={paths.machines}>All machine identities</Link>
            </>
          )
        }
        actions={
          caps.tokensAdmin && (
            <button type="button" className="button primary" onClick={() => setCreating(true)}>
              <IconPlus />
              New trust rule
            </button>
          )
        }
      />
      <Notice>{notice}</Notice>
      <h2>Trust rules</h2>
      <WholeListView query={rules} empty="No trust rules: this machine signs in with tokens only">
        {(items) => (
          <DataTable
            label="Trust rules"
            rows={items}
            rowKey={(r) => r.id}
            columns={[
              ...TRUST_RULE_COLUMNS,
              caps.tokensAdmin && {
                header: 'Actions',
                actions: true,
                cell: (r) => (
                  <button
                    type="button"
                    className="button small danger-outline"
                    onClick={() => setDeleting(r)}
                  >
                    Delete
                  </button>
                ),
              },
            ]}
          />
        )}
      </WholeListView>
      {creating && (
        <NewTrustRuleDialog identityId={id} onClose={() => setCreating(false)} onDone={setNotice} />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete trust rule"
          confirm="Delete trust rule"
          mutation={remove}
          subject={deleting}
          onClose={() => setDeleting(null)}
        >
          <p>
            Workloads matching <code>{deleting.subject}</code> can no longer exchange their tokens
            for this machine&apos;s. Tokens already exchanged stay until they expire or are revoked.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
