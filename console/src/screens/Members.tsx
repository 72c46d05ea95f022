import { useState } from 'react';
import {
  useAddMember,
  useChangeRole,
  useMembers,
  useReissueFirstToken,
  useRemoveMember,
} from '../api/members';
import type { Member, RevokedCount, Role } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { DataTable } from '../components/DataTable';
import { Field } from '../components/Field';
import { FormDialog } from '../components/FormDialog';
import { IdToggle } from '../components/IdToggle';
import { WholeListView } from '../components/List';
import { PageHead } from '../components/PageHead';
import { byText, matches, newestFirst, oldestFirst, searched } from '../components/search';
import { SecretReveal } from '../components/SecretReveal';
import { Notice } from '../components/Status';
import { Badge } from '../components/Table';
import { Time } from '../components/Time';
import { SearchField, SelectField, SortField, Toolbar } from '../components/Toolbar';
import { policyAllows, targetOf } from '../permissions';
import { useBusiness } from '../session';

const who = (m: Member) => m.email ?? m.name ?? 'this member';

/** "Removed; 3 tokens revoked": what a removal that cascades answers (`revoked_tokens`). */
export function revokedLine(verb: string, { revoked_tokens: n }: RevokedCount): string {
  return `${verb}; ${n} ${n === 1 ? 'token' : 'tokens'} revoked`;
}

const SORTS = {
  newest: ['Newest first', newestFirst((m: Member) => m.joined_at)],
  oldest: ['Oldest first', oldestFirst((m: Member) => m.joined_at)],
  email: ['Email, A to Z', byText(who)],
} as const;
type Sort = keyof typeof SORTS;

const ROLE_OPTIONS = [
  ['owner', 'Owner'],
  ['admin', 'Admin'],
  ['member', 'Member'],
] as const;

/** The role select of the add and change-role forms: only the roles the caller may give. */
function RoleField({
  roles,
  value,
  onChange,
}: {
  roles: Role[];
  value: Role;
  onChange: (role: Role) => void;
}) {
  return (
    <Field label="Role">
      {(p) => (
        <select
          {...p}
          className="input"
          value={value}
          onChange={(e) => onChange(e.currentTarget.value as Role)}
        >
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function AddMemberDialog({ roles, onClose }: { roles: Role[]; onClose: () => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const add = useAddMember();
  const added = add.data;
  return (
    <FormDialog
      title="Add a member"
      submit="Add member"
      onSubmit={() => add.mutate({ email: email.trim(), role })}
      onClose={onClose}
      pending={add.isPending}
      error={add.error}
      intro={
        <p className="muted">
          They get a first token (shown once, valid 7 days), with which they make their own.
        </p>
      }
      done={
        added && (
          <>
            <Notice>{`Added ${who(added.member)} as ${added.member.role}.`}</Notice>
            <SecretReveal
              secret={added.first_token.token}
              heading={`First token for ${who(added.member)}`}
              onDone={onClose}
            />
          </>
        )
      }
    >
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
      <RoleField roles={roles} value={role} onChange={setRole} />
    </FormDialog>
  );
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
  const [role, setRole] = useState<Role>(member.role);
  const change = useChangeRole((m) => {
    onDone(`${who(m)} is now ${m.role}.`);
    onClose();
  });
  return (
    <FormDialog
      title={`Change the role of ${who(member)}`}
      submit="Save role"
      onSubmit={() => change.mutate({ member, role })}
      onClose={onClose}
      pending={change.isPending}
      error={change.error}
    >
      <RoleField roles={roles} value={role} onChange={setRole} />
    </FormDialog>
  );
}

export function Members() {
  const { business, caps, whoami } = useBusiness();
  const members = useMembers();
  const [search, setSearch] = useState('');
  const [roleFilter, setRoleFilter] = useState<Role | ''>('');
  const [sort, setSort] = useState<Sort>('newest');
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState<{ secret: string; heading: string } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [changing, setChanging] = useState<Member | null>(null);
  const [reissuing, setReissuing] = useState<Member | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  // Only an owner adds, demotes or removes an owner (a platform token acts as one).
  const ownerPowers = business.role !== 'admin';
  const roles: Role[] = ownerPowers ? ['member', 'admin', 'owner'] : ['member', 'admin'];
  const me = whoami.identity.id;

  const reissue = useReissueFirstToken((issued, m) => {
    const n = issued.replaced_token_ids.length;
    setNotice(
      n === 0
        ? `Issued a new first token for ${who(m)}; they held no active first token.`
        : `Issued a new first token for ${who(m)}; their old first token was revoked.`,
    );
    setSecret({ secret: issued.token, heading: `New first token for ${who(m)}` });
  });
  const remove = useRemoveMember((answer, m) => {
    setSecret(null);
    setNotice(`${revokedLine('Removed', answer)}. ${who(m)} is no longer a member.`);
  });
  // The server's token policy decides, row by row (an owner's is re-issued only by that owner).
  const mayReissue = (m: Member) =>
    policyAllows(
      caps.caller,
      'reissue',
      targetOf(me, { id: m.identity_id, kind: 'user', role: m.role }),
    );
  // The last owner can be neither demoted nor removed (409 LAST_OWNER): not offered.
  const owners = (members.data?.items ?? []).filter((m) => m.role === 'owner').length;
  const mayManage = (m: Member) => (m.role === 'owner' ? ownerPowers && owners > 1 : true);

  const rows = searched(
    members.data?.items,
    (m) => (!roleFilter || m.role === roleFilter) && matches(search, m.email, m.name),
    SORTS[sort][1],
  );

  return (
    <>
      <PageHead
        title="Members"
        lead={`The people of ${business.name}, and their roles.`}
        actions={
          caps.membersWrite && (
            <button type="button" className="button primary" onClick={() => setAdding(true)}>
              Add member
            </button>
          )
        }
      />
      <Notice>{notice}</Notice>
      {secret && (
        <SecretReveal
          key={secret.secret}
          secret={secret.secret}
          heading={secret.heading}
          onDone={() => setSecret(null)}
        />
      )}
      <Toolbar label="Find members">
        <SearchField value={search} onChange={setSearch} hint="An email, or part of one." />
        <SelectField
          label="Role"
          value={roleFilter}
          options={ROLE_OPTIONS}
          onChange={setRoleFilter}
          any="Any"
        />
        <SortField sorts={SORTS} value={sort} onChange={setSort} />
      </Toolbar>
      <WholeListView query={members} shown={rows} empty="No members yet">
        {(items) => (
          <DataTable
            label="Members"
            rows={items}
            rowKey={(m) => m.identity_id}
            columns={[
              {
                header: 'Member',
                primary: true,
                cell: (m) => (
                  <span className="name-stack">
                    <span className="wrap">
                      {who(m)}
                      {m.identity_id === me && <span className="muted"> (you)</span>}
                    </span>
                    <IdToggle id={m.identity_id} of={who(m)} />
                  </span>
                ),
              },
              {
                header: 'Role',
                cell: (m) => (
                  <Badge tone={m.role === 'member' ? 'neutral' : 'info'}>{m.role}</Badge>
                ),
              },
              { header: 'Joined', cell: (m) => <Time iso={m.joined_at} /> },
              caps.membersWrite && {
                header: 'Actions',
                actions: true,
                cell: (m) => (
                  <>
                    {mayManage(m) && (
                      <button type="button" className="button small" onClick={() => setChanging(m)}>
                        Change role
                      </button>
                    )}
                    {mayReissue(m) && (
                      <button
                        type="button"
                        className="button small"
                        onClick={() => setReissuing(m)}
                      >
                        Re-issue first token
                      </button>
                    )}
                    {mayManage(m) && (
                      <button
                        type="button"
                        className="button small danger-outline"
                        onClick={() => setRemoving(m)}
                      >
                        Remove
                      </button>
                    )}
                  </>
                ),
              },
            ]}
          />
        )}
      </WholeListView>
      {adding && <AddMemberDialog roles={roles} onClose={() => setAdding(false)} />}
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
