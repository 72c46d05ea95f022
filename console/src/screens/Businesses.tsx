import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { unwrap } from '../api/call';
import { PAGE_SIZE, useKeyset } from '../api/keyset';
import type { Business } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorBox } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { KeysetList } from '../components/List';
import { SecretReveal } from '../components/SecretReveal';
import { Loading, Notice } from '../components/Status';
import { Badge, Id, TableWrap } from '../components/Table';
import { Time } from '../components/Time';
import { useTitle } from '../components/useTitle';
import { navigate, paths } from '../router';
import { useSession } from '../session';

export function Businesses() {
  useTitle('Businesses');
  const { platform, business: opened, openBusiness } = useSession();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [owner, setOwner] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [suspending, setSuspending] = useState<Business | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['platform'] });
  const list = useKeyset(['platform', 'businesses', 'list'], (cursor) =>
    unwrap(
      platform.GET('/platform/v1/businesses', { params: { query: { limit: PAGE_SIZE, cursor } } }),
    ),
  );
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        platform.POST('/platform/v1/businesses', {
          body: { name: name.trim(), owner_email: owner.trim() },
        }),
      ),
    onSuccess: (created) => {
      setName('');
      setOwner('');
      setNotice(
        `Created ${created.business.name}, owned by ${created.owner.email ?? 'its owner'}.`,
      );
      void refresh();
    },
  });
  const setStatus = useMutation({
    mutationFn: (b: Business) =>
      b.status === 'active'
        ? unwrap(
            platform.POST('/platform/v1/businesses/{business_id}/suspend', {
              params: { path: { business_id: b.id } },
            }),
          )
        : unwrap(
            platform.POST('/platform/v1/businesses/{business_id}/resume', {
              params: { path: { business_id: b.id } },
            }),
          ),
    onSuccess: (b) => {
      setNotice(
        `${b.name} is ${b.status === 'suspended' ? 'suspended: its tokens are all refused' : 'active again'}.`,
      );
      if (opened?.id === b.id) openBusiness({ id: b.id, name: b.name, status: b.status });
      void refresh();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  const open = (b: Business) => {
    openBusiness({ id: b.id, name: b.name, status: b.status });
    navigate(paths.tokens);
  };
  return (
    <>
      <h1>Businesses</h1>
      <p className="lead">The tenants of this installation. Open one to act in it.</p>
      <Notice>{notice}</Notice>
      <section className="card" aria-labelledby="new-business">
        <h2 id="new-business">New business</h2>
        <form className="form grid" onSubmit={submit}>
          <Field label="Name">
            {(p) => (
              <input
                {...p}
                className="input"
                required
                maxLength={200}
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label="Owner email" hint="The owner gets a first token, shown once, valid 7 days.">
            {(p) => (
              <input
                {...p}
                className="input"
                type="email"
                required
                maxLength={254}
                value={owner}
                onChange={(e) => setOwner(e.currentTarget.value)}
              />
            )}
          </Field>
          <div className="actions span-2">
            <button type="submit" className="button primary" disabled={create.isPending}>
              Create business
            </button>
          </div>
        </form>
        {create.isPending && <Loading>Creating…</Loading>}
        <ErrorBox error={create.error} />
        {create.data && (
          <SecretReveal
            key={create.data.first_token.id}
            secret={create.data.first_token.token}
            heading={`First token of ${create.data.owner.email ?? 'the owner'}, owner of ${create.data.business.name}`}
            onDone={() => create.reset()}
          />
        )}
      </section>
      <section aria-labelledby="business-list">
        <h2 id="business-list">Tenants</h2>
        <ErrorBox error={setStatus.error} />
        <KeysetList query={list} empty="No businesses yet">
          {(items) => (
            <TableWrap label="Businesses">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Id</th>
                  <th scope="col">Created</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {items.map((b) => (
                  <tr key={b.id}>
                    <th scope="row">
                      <span className="wrap">
                        {b.name}
                        {opened?.id === b.id && <span className="muted"> (open)</span>}
                      </span>
                    </th>
                    <td>
                      <Badge tone={b.status === 'active' ? 'ok' : 'bad'}>{b.status}</Badge>
                    </td>
                    <td>
                      <Id>{b.id}</Id>
                    </td>
                    <td>
                      <Time iso={b.created_at} />
                    </td>
                    <td>
                      <div className="row-actions">
                        <button
                          type="button"
                          className="button small primary"
                          onClick={() => open(b)}
                        >
                          Open
                        </button>
                        <button
                          type="button"
                          className={
                            b.status === 'active' ? 'button small danger-outline' : 'button small'
                          }
                          disabled={setStatus.isPending}
                          onClick={() =>
                            b.status === 'active' ? setSuspending(b) : setStatus.mutate(b)
                          }
                        >
                          {b.status === 'active' ? 'Suspend' : 'Resume'}
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          )}
        </KeysetList>
      </section>
      {suspending && (
        <ConfirmDialog
          title={`Suspend ${suspending.name}`}
          confirm="Suspend business"
          mutation={setStatus}
          subject={suspending}
          onClose={() => setSuspending(null)}
        >
          <p>
            Every token of {suspending.name} is refused (403 <code>BUSINESS_SUSPENDED</code>) until
            the business is resumed. Nothing is deleted or revoked.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
