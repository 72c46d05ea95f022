import { useState } from 'react';
import {
  useCustomRoles,
  useDeleteCustomRole,
  type CustomRole,
} from '../../api/resources/roles.api';
import { ConfirmDialog } from '../../ui/dialogs/ConfirmDialog';
import { DataTable } from '../../ui/lists/DataTable';
import { WholeListView } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { Notice } from '../../ui/Status';
import { Badge } from '../../ui/lists/Table';
import { Clip } from '../../ui/names/Clip';
import { useBusiness } from '../../session';
import { IconPlus } from '../../ui/brand/icons';
import { RoleFormDialog } from './RoleFormDialog';
import { GroupRules } from './GroupRules';

/** The business's custom roles, and below them the SSO group rules: who gets in at which role. */
export function Roles() {
  const { business, caps } = useBusiness();
  const roles = useCustomRoles();
  const [notice, setNotice] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<CustomRole | null>(null);
  const [deleting, setDeleting] = useState<CustomRole | null>(null);
  const remove = useDeleteCustomRole((r) => setNotice(`Deleted the role ${r.name}.`));
  // Group rules are edited by owners alone (a platform token acts as one).
  const owner = caps.membersWrite && business.role !== 'admin';
  return (
    <>
      <PageHead
        title="Roles"
        lead={`${business.name}'s own roles: a built-in role narrowed to the scopes a job needs.`}
        actions={
          caps.membersWrite && (
            <button type="button" className="button primary" onClick={() => setCreating(true)}>
              <IconPlus />
              New role
            </button>
          )
        }
      />
      <Notice>{notice}</Notice>
      <WholeListView query={roles} empty="No custom roles yet">
        {(items) => (
          <DataTable
            label="Custom roles"
            rows={items}
            rowKey={(r) => r.id}
            columns={[
              { header: 'Name', primary: true, cell: (r) => <Clip text={r.name} /> },
              {
                header: 'Base role',
                cell: (r) => (
                  <Badge tone={r.base_role === 'member' ? 'neutral' : 'info'}>{r.base_role}</Badge>
                ),
              },
              {
                header: 'Scopes',
                cell: (r) =>
                  r.scopes.length > 0 ? (
                    <span className="wrap">{r.scopes.join(', ')}</span>
                  ) : (
                    <span className="muted">none: own tokens only</span>
                  ),
              },
              { header: 'Updated by', cell: (r) => <Clip text={r.updated_by} /> },
              caps.membersWrite && {
                header: 'Actions',
                actions: true,
                cell: (r) => (
                  <>
                    <button type="button" className="button small" onClick={() => setEditing(r)}>
                      Change scopes
                    </button>
                    <button
                      type="button"
                      className="button small danger-outline"
                      onClick={() => setDeleting(r)}
                    >
                      Delete
                    </button>
                  </>
                ),
              },
            ]}
          />
        )}
      </WholeListView>
      <GroupRules owner={owner} onDone={setNotice} />
      {creating && <RoleFormDialog onClose={() => setCreating(false)} onDone={setNotice} />}
      {editing && (
        <RoleFormDialog role={editing} onClose={() => setEditing(null)} onDone={setNotice} />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete the role ${deleting.name}`}
          confirm="Delete role"
          mutation={remove}
          subject={deleting}
          onClose={() => setDeleting(null)}
        >
          <p>
            {deleting.name} can be deleted only when no member holds it: take it back from its
            holders first, on the Members screen.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
