import { useState } from 'react';
import { useMembers, useReissueFirstToken, useRemoveMember } from '../../api/resources/members.api';
import type { Member, Role } from '../../api/types';
import { revokedLine } from '../../ui/revoked-line';
import { AddMemberDialog } from './AddMemberDialog';
import { ConfirmDialog } from '../../ui/dialogs/ConfirmDialog';
import { DataTable } from '../../ui/lists/DataTable';
import { IdToggle } from '../../ui/names/IdToggle';
import { WholeListView } from '../../ui/lists/List';
import { MemberActions, RoleDialog } from './MemberActions';
import { who } from './MemberParts';
import { PageHead } from '../../ui/PageHead';
import { byText, matches, newestFirst, oldestFirst, searched } from '../../ui/lists/search';
import { SecretReveal } from '../../ui/forms/SecretReveal';
import { Notice } from '../../ui/Status';
import { Badge } from '../../ui/lists/Table';
import { Time } from '../../ui/Time';
import { SearchField, SelectField, SortField, Toolbar } from '../../ui/lists/Toolbar';
import { policyAllows, targetOf } from '../../permissions';
import { useBusiness } from '../../session';
import { Clip } from '../../ui/names/Clip';
import { IconAddMember } from '../../ui/brand/icons';
import { CustomRoleDialog } from './CustomRoleDialog';
import { InviteDialog } from './InviteDialog';
import { Invitations } from './Invitations';
import { useCustomRoles } from '../../api/resources/roles.api';

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
  const [inviting, setInviting] = useState(false);
  const [customizing, setCustomizing] = useState<Member | null>(null);
  const customRoles = useCustomRoles();
  const heldBy = (m: Member) => m.custom_role_id;
  const roleName = (id: string | null) =>
    customRoles.data?.items.find((r) => r.id === id)?.name ?? null;
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
            <>
              <button type="button" className="button primary" onClick={() => setAdding(true)}>
                <IconAddMember />
                Add member
              </button>
              {/* A platform token invites no one (403 NOT_TOKEN_HOLDER): not offered. */}
              {!caps.platform && (
                <button type="button" className="button" onClick={() => setInviting(true)}>
                  Invite by email
                </button>
              )}
            </>
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
                    <span className="named">
                      <Clip text={who(m)} />
                      {m.identity_id === me && <span className="muted">(you)</span>}
                    </span>
                    <IdToggle id={m.identity_id} of={who(m)} />
                  </span>
                ),
              },
              {
                header: 'Role',
                cell: (m) => (
                  <span className="named">
                    <Badge tone={m.role === 'member' ? 'neutral' : 'info'}>{m.role}</Badge>
                    {roleName(heldBy(m)) && (
                      <Badge tone="neutral">{`custom: ${roleName(heldBy(m))}`}</Badge>
                    )}
                  </span>
                ),
              },
              { header: 'Joined', cell: (m) => <Time iso={m.joined_at} /> },
              caps.membersWrite && {
                header: 'Actions',
                actions: true,
                cell: (m) => (
                  <MemberActions
                    member={m}
                    mayManage={mayManage(m)}
                    mayReissue={mayReissue(m)}
                    onChangeRole={setChanging}
                    onCustomRole={setCustomizing}
                    onReissue={setReissuing}
                    onRemove={setRemoving}
                  />
                ),
              },
            ]}
          />
        )}
      </WholeListView>
      <Invitations manage={caps.membersWrite} onDone={setNotice} />
      {inviting && (
        <InviteDialog roles={roles} onClose={() => setInviting(false)} onDone={setNotice} />
      )}
      {customizing && (
        <CustomRoleDialog
          member={customizing}
          current={heldBy(customizing)}
          onClose={() => setCustomizing(null)}
          onDone={setNotice}
        />
      )}
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
