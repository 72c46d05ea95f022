import { useState } from 'react';
import {
  useGroupRules,
  useRemoveGroupRule,
  useSetGroupRule,
  type GroupRule,
} from '../../api/resources/roles.api';
import type { Role } from '../../api/types';
import { ConfirmDialog } from '../../ui/dialogs/ConfirmDialog';
import { FormDialog } from '../../ui/dialogs/FormDialog';
import { DataTable } from '../../ui/lists/DataTable';
import { Field } from '../../ui/forms/Field';
import { WholeListView } from '../../ui/lists/List';
import { Badge } from '../../ui/lists/Table';
import { Clip } from '../../ui/names/Clip';
import { Time } from '../../ui/Time';
import { RoleField } from '../../ui/forms/RoleField';
import { IconPlus } from '../../ui/brand/icons';

const ROLES: Role[] = ['member', 'admin', 'owner'];

/**
 * The business's SSO group rules: a provider group, and the role it signs people in at. Owners
 * edit them (`owner`); admins read them.
 */
export function GroupRules({ owner, onDone }: { owner: boolean; onDone: (m: string) => void }) {
  const rules = useGroupRules();
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<GroupRule | null>(null);
  const remove = useRemoveGroupRule((r) =>
    onDone(`Removed the rule of ${r.group}: that group signs no one in from now on.`),
  );
  return (
    <>
      <div className="section-head">
        <h2>Single sign-on group rules</h2>
        {owner && (
          <button type="button" className="button" onClick={() => setAdding(true)}>
            <IconPlus />
            Add rule
          </button>
        )}
      </div>
      <p className="muted">A person whose provider groups name a rule signs in at its role.</p>
      <WholeListView query={rules} empty="No group rules">
        {(items) => (
          <DataTable
            label="Group rules"
            rows={items}
            rowKey={(r) => r.id}
            columns={[
              { header: 'Group', primary: true, cell: (r) => <Clip text={r.group} /> },
              {
                header: 'Role',
                cell: (r) => (
                  <Badge tone={r.role === 'member' ? 'neutral' : 'info'}>{r.role}</Badge>
                ),
              },
              { header: 'Added', cell: (r) => <Time iso={r.created_at} /> },
              { header: 'Added by', cell: (r) => <Clip text={r.created_by} /> },
              owner && {
                header: 'Actions',
                actions: true,
                cell: (r) => (
                  <button
                    type="button"
                    className="button small danger-outline"
                    onClick={() => setRemoving(r)}
                  >
                    Remove
                  </button>
                ),
              },
            ]}
          />
        )}
      </WholeListView>
      {adding && <AddRuleDialog onClose={() => setAdding(false)} onDone={onDone} />}
      {removing && (
        <ConfirmDialog
          title={`Remove the rule of ${removing.group}`}
          confirm="Remove rule"
          mutation={remove}
          subject={removing}
          onClose={() => setRemoving(null)}
        >
          <p>
            {removing.group} signs no one in from now on. Sessions already made last until they
            expire or are revoked.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

/** A rule for a group; a group that has one already is given the new role. */
function AddRuleDialog({ onClose, onDone }: { onClose: () => void; onDone: (m: string) => void }) {
  const [group, setGroup] = useState('');
  const [role, setRole] = useState<Role>('member');
  const set = useSetGroupRule((r) => {
    onDone(`${r.group} now signs people in as ${r.role}.`);
    onClose();
  });
  return (
    <FormDialog
      title="Add a group rule"
      submit="Save rule"
      onSubmit={() => set.mutate({ group: group.trim(), role })}
      onClose={onClose}
      pending={set.isPending}
      error={set.error}
    >
      <Field label="Group" hint="As the provider's groups claim spells it.">
        {(p) => (
          <input
            {...p}
            className="input"
            required
            maxLength={256}
            value={group}
            onChange={(e) => setGroup(e.currentTarget.value)}
          />
        )}
      </Field>
      <RoleField roles={ROLES} value={role} onChange={setRole} />
    </FormDialog>
  );
}
