import { useState } from 'react';
import {
  useCreateMachine,
  useDeleteMachine,
  useMachines,
  type MachineRole,
} from '../../api/resources/machines.api';
import type { Machine } from '../../api/types';
import { ConfirmDialog } from '../../ui/dialogs/ConfirmDialog';
import { DataTable } from '../../ui/lists/DataTable';
import { Field } from '../../ui/forms/Field';
import { FormDialog } from '../../ui/dialogs/FormDialog';
import { IdToggle } from '../../ui/names/IdToggle';
import { WholeListView } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { byText, matches, newestFirst, oldestFirst, searched } from '../../ui/lists/search';
import { Notice } from '../../ui/Status';
import { Badge } from '../../ui/lists/Table';
import { Time } from '../../ui/Time';
import { SearchField, SortField, Toolbar } from '../../ui/lists/Toolbar';
import { Link, paths } from '../../router';
import { useBusiness } from '../../session';
import { revokedLine } from '../../ui/revoked-line';
import { Clip } from '../../ui/names/Clip';
import { IconPlus } from '../../ui/brand/icons';

const SORTS = {
  newest: ['Newest first', newestFirst((m: Machine) => m.created_at)],
  oldest: ['Oldest first', oldestFirst((m: Machine) => m.created_at)],
  name: ['Name, A to Z', byText((m: Machine) => m.name)],
} as const;
type Sort = keyof typeof SORTS;

function NewMachineDialog({
  onClose,
  onDone,
}: {
  onClose: () => void;
  onDone: (m: string) => void;
}) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<MachineRole>('member');
  const create = useCreateMachine((m) => {
    onDone(
      `Created machine identity ${m.name}. Make its tokens from Tokens, with it as the holder, ` +
        'or open it to let its CI jobs sign in with trust rules.',
    );
    onClose();
  });
  return (
    <FormDialog
      title="New machine identity"
      submit="Create machine identity"
      onSubmit={() => create.mutate({ name: name.trim(), role })}
      onClose={onClose}
      pending={create.isPending}
      error={create.error}
    >
      <Field label="Name" hint="1 to 100 of a-z, 0-9, dot, dash and underscore, e.g. ci-runner.">
        {(p) => (
          <input
            {...p}
            className="input mono"
            required
            maxLength={100}
            pattern="[a-z0-9._\-]+"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Role">
        {(p) => (
          <select
            {...p}
            className="input"
            value={role}
            onChange={(e) => setRole(e.currentTarget.value as MachineRole)}
          >
            <option value="member">member</option>
            <option value="admin">admin</option>
          </select>
        )}
      </Field>
    </FormDialog>
  );
}

export function Machines() {
  const { business, caps } = useBusiness();
  const machines = useMachines();
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<Sort>('newest');
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Machine | null>(null);
  const remove = useDeleteMachine((answer, m) =>
    setNotice(`${revokedLine('Deleted', answer)}. Machine identity ${m.name} is gone.`),
  );
  const rows = searched(machines.data?.items, (m) => matches(search, m.name), SORTS[sort][1]);
  return (
    <>
      <PageHead
        title="Machine identities"
        lead={`Services and robots of ${business.name}: each holds its own tokens.`}
        actions={
          caps.membersWrite && (
            <button type="button" className="button primary" onClick={() => setCreating(true)}>
              <IconPlus />
              New machine identity
            </button>
          )
        }
      />
      <Notice>{notice}</Notice>
      <Toolbar label="Find machine identities">
        <SearchField value={search} onChange={setSearch} hint="A name, or part of one." />
        <SortField sorts={SORTS} value={sort} onChange={setSort} />
      </Toolbar>
      <WholeListView query={machines} shown={rows} empty="No machine identities yet">
        {(items) => (
          <DataTable
            label="Machine identities"
            rows={items}
            rowKey={(m) => m.id}
            columns={[
              {
                header: 'Name',
                primary: true,
                cell: (m) => (
                  <span className="name-stack">
                    {caps.tokensAdmin ? (
                      <Link to={paths.machine(m.id)}>
                        <code>
                          <Clip text={m.name} />
                        </code>
                      </Link>
                    ) : (
                      <code>
                        <Clip text={m.name} />
                      </code>
                    )}
                    <IdToggle id={m.id} of={m.name} />
                  </span>
                ),
              },
              {
                header: 'Role',
                cell: (m) =>
                  m.role ? (
                    <Badge tone={m.role === 'admin' ? 'info' : 'neutral'}>{m.role}</Badge>
                  ) : (
                    '—'
                  ),
              },
              { header: 'Created', cell: (m) => <Time iso={m.created_at} /> },
              caps.membersWrite && {
                header: 'Actions',
                actions: true,
                cell: (m) => (
                  <button
                    type="button"
                    className="button small danger-outline"
                    onClick={() => setDeleting(m)}
                  >
                    Delete
                  </button>
                ),
              },
            ]}
          />
        )}
      </WholeListView>
      {creating && <NewMachineDialog onClose={() => setCreating(false)} onDone={setNotice} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}`}
          confirm="Delete machine identity"
          mutation={remove}
          subject={deleting}
          onClose={() => setDeleting(null)}
        >
          <p>
            Every token of <code>{deleting.name}</code> is revoked at once, so whatever runs with
            them stops working, and the audit log records each one. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
