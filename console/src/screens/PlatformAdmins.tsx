import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { unwrap } from '../api/call';
import { PAGE_SIZE, useKeyset } from '../api/keyset';
import type { PlatformAdmin } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorBox } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { KeysetList } from '../components/List';
import { SecretReveal } from '../components/SecretReveal';
import { Loading, Notice } from '../components/Status';
import { Id, TableWrap } from '../components/Table';
import { Time } from '../components/Time';
import { useTitle } from '../components/useTitle';
import { useSession } from '../session';
import { revokedLine } from './Members';

export function PlatformAdmins() {
  useTitle('Platform admins');
  const { platform, whoami } = useSession();
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [removing, setRemoving] = useState<PlatformAdmin | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['platform'] });
  const admins = useKeyset(['platform', 'admins'], (cursor) =>
    unwrap(
      platform.GET('/platform/v1/admins', { params: { query: { limit: PAGE_SIZE, cursor } } }),
    ),
  );
  const add = useMutation({
    mutationFn: () =>
      unwrap(platform.POST('/platform/v1/admins', { body: { email: email.trim() } })),
    onSuccess: (added) => {
      setEmail('');
      setNotice(`${added.admin.email} is now a platform admin.`);
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (a: PlatformAdmin) =>
      unwrap(
        platform.DELETE('/platform/v1/admins/{identity_id}', {
          params: { path: { identity_id: a.identity_id } },
        }),
      ),
    onSuccess: (answer, a) => {
      setNotice(`${revokedLine('Removed', answer)}. ${a.email} is no longer a platform admin.`);
      add.reset();
      void refresh();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate();
  };
  return (
    <>
      <h1>Platform admins</h1>
      <p className="lead">
        The people who run this installation: they manage businesses and platform admins.
      </p>
      <Notice>{notice}</Notice>
      <section className="card" aria-labelledby="add-admin">
        <h2 id="add-admin">Add a platform admin</h2>
        <form className="form grid" onSubmit={submit}>
          <Field label="Email" hint="They get a platform token, shown once.">
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
          <div className="actions span-2">
            <button type="submit" className="button primary" disabled={add.isPending}>
              Add admin
            </button>
          </div>
        </form>
        {add.isPending && <Loading>Adding…</Loading>}
        <ErrorBox error={add.error} />
        {add.data && (
          <SecretReveal
            key={add.data.first_token.id}
            secret={add.data.first_token.token}
            heading={`Platform token of ${add.data.admin.email}`}
            onDone={() => add.reset()}
          />
        )}
      </section>
      <section aria-labelledby="admin-list">
        <h2 id="admin-list">Admins</h2>
        <KeysetList query={admins} empty="No platform admins yet">
          {(items) => (
            <TableWrap label="Platform admins">
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Id</th>
                  <th scope="col">Added</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {items.map((a) => (
                  <tr key={a.identity_id}>
                    <th scope="row">
                      <span className="wrap">
                        {a.email}
                        {a.identity_id === whoami.identity.id && (
                          <span className="muted"> (you)</span>
                        )}
                      </span>
                    </th>
                    <td>
                      <Id>{a.identity_id}</Id>
                    </td>
                    <td>
                      <Time iso={a.created_at} />
                    </td>
                    <td>
                      <button
                        type="button"
                        className="button small danger-outline"
                        onClick={() => setRemoving(a)}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          )}
        </KeysetList>
      </section>
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.email}`}
          confirm="Remove platform admin"
          mutation={remove}
          subject={removing}
          onClose={() => setRemoving(null)}
        >
          <p>
            {removing.email} no longer runs this installation: their platform tokens are revoked at
            once. The last platform admin cannot be removed.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
