import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { unwrap } from '../api/call';
import { PAGE_SIZE, useKeyset } from '../api/keyset';
import type { Machine } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorBox } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { useInvalidateBusiness } from '../components/hooks';
import { KeysetList } from '../components/List';
import { Loading, Notice } from '../components/Status';
import { Badge, Id, TableWrap } from '../components/Table';
import { Time } from '../components/Time';
import { useTitle } from '../components/useTitle';
import { useBusiness } from '../session';
import { revokedLine } from './Members';

export function Machines() {
  useTitle('Machine identities');
  const { api, business, caps } = useBusiness();
  const invalidate = useInvalidateBusiness();
  const [name, setName] = useState('');
  const [role, setRole] = useState<'member' | 'admin'>('member');
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Machine | null>(null);
  const machines = useKeyset(['biz', business.id, 'machines', 'list'], (cursor) =>
    unwrap(
      api.GET('/api/v1/machine-identities', { params: { query: { limit: PAGE_SIZE, cursor } } }),
    ),
  );
  const create = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/api/v1/machine-identities', { body: { name: name.trim(), role } })),
    onSuccess: (m) => {
      setName('');
      setNotice(
        `Created machine identity ${m.name}. Make its tokens from Tokens, with it as the holder.`,
      );
      void invalidate();
    },
  });
  const remove = useMutation({
    mutationFn: (m: Machine) =>
      unwrap(
        api.DELETE('/api/v1/machine-identities/{identity_id}', {
          params: { path: { identity_id: m.id } },
        }),
      ),
    onSuccess: (answer, m) => {
      setNotice(`${revokedLine('Deleted', answer)}. Machine identity ${m.name} is gone.`);
      void invalidate();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <>
      <h1>Machine identities</h1>
      <p className="lead">Services and robots of {business.name}: each holds its own tokens.</p>
      <Notice>{notice}</Notice>
      {caps.membersWrite && (
        <section className="card" aria-labelledby="new-machine">
          <h2 id="new-machine">New machine identity</h2>
          <form className="form grid" onSubmit={submit}>
            <Field
              label="Name"
              hint="1 to 100 of a-z, 0-9, dot, dash and underscore, e.g. ci-runner."
            >
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
                  onChange={(e) => setRole(e.currentTarget.value as 'member' | 'admin')}
                >
                  <option value="member">member</option>
                  <option value="admin">admin</option>
                </select>
              )}
            </Field>
            <div className="actions span-2">
              <button type="submit" className="button primary" disabled={create.isPending}>
                Create machine identity
              </button>
            </div>
          </form>
          {create.isPending && <Loading>Creating…</Loading>}
          <ErrorBox error={create.error} />
        </section>
      )}
      <section aria-labelledby="machine-list">
        <h2 id="machine-list">Machines</h2>
        <KeysetList query={machines} empty="No machine identities yet">
          {(items) => (
            <TableWrap label="Machine identities">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Id</th>
                  <th scope="col">Created</th>
                  {caps.membersWrite && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {items.map((m) => (
                  <tr key={m.id}>
                    <th scope="row">
                      <code>{m.name}</code>
                    </th>
                    <td>
                      {m.role ? (
                        <Badge tone={m.role === 'admin' ? 'info' : 'neutral'}>{m.role}</Badge>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td>
                      <Id>{m.id}</Id>
                    </td>
                    <td>
                      <Time iso={m.created_at} />
                    </td>
                    {caps.membersWrite && (
                      <td>
                        <button
                          type="button"
                          className="button small danger-outline"
                          onClick={() => setDeleting(m)}
                        >
                          Delete
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          )}
        </KeysetList>
      </section>
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
