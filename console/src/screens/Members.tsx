import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { unwrap } from '../api/call';
import { PAGE_SIZE, useKeyset } from '../api/keyset';
import type { Member, RevokedCount, Role } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Dialog } from '../components/Dialog';
import { ErrorBox } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { useInvalidateBusiness } from '../components/hooks';
import { KeysetList } from '../components/List';
import { SecretReveal } from '../components/SecretReveal';
import { Loading, Notice } from '../components/Status';
import { Badge, TableWrap } from '../components/Table';
import { Time } from '../components/Time';
import { useTitle } from '../components/useTitle';
import { policyAllows, targetOf } from '../permissions';
import { useBusiness } from '../session';

const who = (m: Member) => m.email ?? m.name ?? m.identity_id;

/** "Removed; 3 tokens revoked": what a removal that cascades answers (`revoked_tokens`). */
export function revokedLine(verb: string, { revoked_tokens: n }: RevokedCount): string {
  return `${verb}; ${n} ${n === 1 ? 'token' : 'tokens'} revoked`;
}

function RoleDialog({
  member,
  roles,
  onClose,
  onDone,
}: {
  member: Member;
  roles: Role[];
  onClose: () => void;
  onDone: (m: string) => void;
}) {
  const { api } = useBusiness();
  const invalidate = useInvalidateBusiness();
  const [role, setRole] = useState<Role>(member.role);
  const mutation = useMutation({
    mutationFn: () =>
      unwrap(
        api.PATCH('/api/v1/members/{identity_id}', {
          params: { path: { identity_id: member.identity_id } },
          body: { role },
        }),
      ),
    onSuccess: (m) => {
      void invalidate();
      onDone(`${who(m)} is now ${m.role}.`);
      onClose();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    mutation.mutate();
  };
  return (
    <Dialog title={`Change the role of ${who(member)}`} onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <Field label="Role">
          {(p) => (
            <select
              {...p}
              className="input"
              value={role}
              onChange={(e) => setRole(e.currentTarget.value as Role)}
            >
              {roles.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          )}
        </Field>
        <ErrorBox error={mutation.error} />
        <div className="actions">
          <button type="submit" className="button primary" disabled={mutation.isPending}>
            Save role
          </button>
          <button type="button" className="button ghost" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function Members() {
  useTitle('Members');
  const { api, business, caps, whoami } = useBusiness();
  const invalidate = useInvalidateBusiness();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [secret, setSecret] = useState<{ secret: string; heading: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [changing, setChanging] = useState<Member | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [reissuing, setReissuing] = useState<Member | null>(null);
  // Only an owner adds, demotes or removes an owner (a platform token acts as one).
  const roles: Role[] =
    business.role === 'admin' ? ['member', 'admin'] : ['member', 'admin', 'owner'];

  const members = useKeyset(['biz', business.id, 'members', 'list'], (cursor) =>
    unwrap(api.GET('/api/v1/members', { params: { query: { limit: PAGE_SIZE, cursor } } })),
  );
  const add = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/members', { body: { email: email.trim(), role } })),
    onSuccess: (added) => {
      setEmail('');
      setNotice(`Added ${who(added.member)} as ${added.member.role}.`);
      setSecret({
        secret: added.first_token.token,
        heading: `First token for ${who(added.member)}`,
      });
      void invalidate();
    },
  });
  const reissue = useMutation({
    mutationFn: (m: Member) =>
      unwrap(
        api.POST('/api/v1/members/{identity_id}/token', {
          params: { path: { identity_id: m.identity_id } },
          body: {},
        }),
      ),
    onSuccess: (issued, m) => {
      const n = issued.replaced_token_ids.length;
      setNotice(
        n === 0
          ? `Issued a new first token for ${who(m)}; they held no active first token.`
          : `Issued a new first token for ${who(m)}; their old first token was revoked.`,
      );
      setSecret({ secret: issued.token, heading: `New first token for ${who(m)}` });
      void invalidate();
    },
  });
  // The server's token policy decides, row by row (an owner's is re-issued only by that owner).
  const mayReissue = (m: Member) =>
    policyAllows(
      caps.caller,
      'reissue',
      targetOf(whoami.identity.id, { id: m.identity_id, kind: 'user', role: m.role }),
    );
  const remove = useMutation({
    mutationFn: (m: Member) =>
      unwrap(
        api.DELETE('/api/v1/members/{identity_id}', {
          params: { path: { identity_id: m.identity_id } },
        }),
      ),
    onSuccess: (answer, m) => {
      setSecret(null);
      setNotice(`${revokedLine('Removed', answer)}. ${who(m)} is no longer a member.`);
      void invalidate();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };

  return (
    <>
      <h1>Members</h1>
      <p className="lead">The people of {business.name}, and their roles.</p>
      <Notice>{notice}</Notice>
      {secret && (
        <SecretReveal
          key={secret.secret}
          secret={secret.secret}
          heading={secret.heading}
          onDone={() => setSecret(null)}
        />
      )}
      {caps.membersWrite && (
        <section className="card" aria-labelledby="add-member">
          <h2 id="add-member">Add a member</h2>
          <p className="muted">
            They get a first token (shown once, valid 7 days), with which they make their own.
          </p>
          <form className="form grid" onSubmit={submit}>
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
            <Field label="Role">
              {(p) => (
                <select
                  {...p}
                  className="input"
                  value={role}
                  onChange={(e) => setRole(e.currentTarget.value as Role)}
                >
                  {roles.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <div className="actions span-2">
              <button type="submit" className="button primary" disabled={add.isPending}>
                Add member
              </button>
            </div>
          </form>
          {add.isPending && <Loading>Adding…</Loading>}
          <ErrorBox error={add.error} />
        </section>
      )}
      <section aria-labelledby="member-list">
        <h2 id="member-list">People</h2>
        <KeysetList query={members} empty="No members yet">
          {(items) => (
            <TableWrap label="Members">
              <thead>
                <tr>
                  <th scope="col">Member</th>
                  <th scope="col">Role</th>
                  <th scope="col">Joined</th>
                  {caps.membersWrite && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {items.map((m) => (
                  <tr key={m.identity_id}>
                    <th scope="row">
                      <span className="wrap">
                        {who(m)}
                        {m.identity_id === whoami.identity.id && (
                          <span className="muted"> (you)</span>
                        )}
                      </span>
                    </th>
                    <td>
                      <Badge tone={m.role === 'member' ? 'neutral' : 'info'}>{m.role}</Badge>
                    </td>
                    <td>
                      <Time iso={m.joined_at} />
                    </td>
                    {caps.membersWrite && (
                      <td>
                        <div className="row-actions">
                          <button
                            type="button"
                            className="button small"
                            onClick={() => setChanging(m)}
                          >
                            Change role
                          </button>
                          {mayReissue(m) && (
                            <button
                              type="button"
                              className="button small"
                              onClick={() => setReissuing(m)}
                            >
                              Re-issue first token
                            </button>
                          )}
                          <button
                            type="button"
                            className="button small danger-outline"
                            onClick={() => setRemoving(m)}
                          >
                            Remove
                          </button>
                        </div>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          )}
        </KeysetList>
      </section>
      {changing && (
        <RoleDialog
          member={changing}
          roles={roles}
          onClose={() => setChanging(null)}
          onDone={setNotice}
        />
      )}
      {reissuing && (
        <ConfirmDialog
          title={`Re-issue the first token of ${who(reissuing)}`}
          confirm="Confirm re-issue"
          mutation={reissue}
          subject={reissuing}
          onClose={() => setReissuing(null)}
        >
          <p>
            A new first token for {who(reissuing)}, shown once, for you to pass on. Their current
            first token stops working at once; the tokens they made themselves keep working.
          </p>
        </ConfirmDialog>
      )}
      {removing && (
        <ConfirmDialog
          title={`Remove ${who(removing)}`}
          confirm="Remove member"
          mutation={remove}
          subject={removing}
          onClose={() => setRemoving(null)}
        >
          <p>
            {who(removing)} loses access to {business.name} at once: every token they hold in it is
            revoked, and the audit log records each one. This cannot be undone; to bring them back,
            add them again.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
