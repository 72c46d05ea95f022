import { useState } from 'react';
import {
  useBusinesses,
  useCreateBusiness,
  useToggleBusiness,
} from '../../api/resources/businesses.api';
import type { Business } from '../../api/types';
import { ConfirmDialog } from '../../ui/dialogs/ConfirmDialog';
import { DataTable } from '../../ui/lists/DataTable';
import { ErrorBox } from '../../ui/ErrorBox';
import { Field } from '../../ui/forms/Field';
import { FormDialog } from '../../ui/dialogs/FormDialog';
import { IdToggle } from '../../ui/names/IdToggle';
import { WholeListView } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { byText, matches, newestFirst, oldestFirst, searched } from '../../ui/lists/search';
import { SecretReveal } from '../../ui/forms/SecretReveal';
import { Notice } from '../../ui/Status';
import { Badge } from '../../ui/lists/Table';
import { Time } from '../../ui/Time';
import { SearchField, SelectField, SortField, Toolbar } from '../../ui/lists/Toolbar';
import { navigate, paths } from '../../router';
import { useSession } from '../../session';
import { Clip } from '../../ui/names/Clip';
import { IconPlus } from '../../ui/brand/icons';

const SORTS = {
  newest: ['Newest first', newestFirst((b: Business) => b.created_at)],
  oldest: ['Oldest first', oldestFirst((b: Business) => b.created_at)],
  name: ['Name, A to Z', byText((b: Business) => b.name)],
} as const;
type Sort = keyof typeof SORTS;

const STATUSES = [
  ['active', 'Active'],
  ['suspended', 'Suspended'],
] as const;

function NewBusinessDialog({ onClose }: { onClose: () => void }) {
  const [name, setName] = useState('');
  const [owner, setOwner] = useState('');
  const create = useCreateBusiness();
  const made = create.data;
  return (
    <FormDialog
      title="New business"
      submit="Create business"
      onSubmit={() => create.mutate({ name: name.trim(), owner: owner.trim() })}
      onClose={onClose}
      pending={create.isPending}
      error={create.error}
      done={
        made && (
          <>
            <Notice>
              {`Created ${made.business.name}, owned by ${made.owner.email ?? 'its owner'}.`}
            </Notice>
            <SecretReveal
              secret={made.first_token.token}
              heading={`First token of ${made.owner.email ?? 'the owner'}, owner of ${made.business.name}`}
              onDone={onClose}
            />
          </>
        )
      }
    >
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
    </FormDialog>
  );
}

export function Businesses() {
  const { business: opened, openBusiness } = useSession();
  const businesses = useBusinesses();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<Business['status'] | ''>('');
  const [sort, setSort] = useState<Sort>('newest');
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [suspending, setSuspending] = useState<Business | null>(null);
  const toggle = useToggleBusiness((b) => {
    setNotice(
      `${b.name} is ${b.status === 'suspended' ? 'suspended: its tokens are all refused' : 'active again'}.`,
    );
    if (opened?.id === b.id) openBusiness({ id: b.id, name: b.name, status: b.status });
  });
  const open = (b: Business) => {
    openBusiness({ id: b.id, name: b.name, status: b.status });
    navigate(paths.tokens);
  };
  const rows = searched(
    businesses.data?.items,
    (b) => (!status || b.status === status) && matches(search, b.name),
    SORTS[sort][1],
  );
  return (
    <>
      <PageHead
        title="Businesses"
        lead="The tenants of this installation. Open one to act in it."
        actions={
          <button type="button" className="button primary" onClick={() => setCreating(true)}>
            <IconPlus />
            New business
          </button>
        }
      />
      <Notice>{notice}</Notice>
      <ErrorBox error={toggle.error} />
      <Toolbar label="Find businesses">
        <SearchField value={search} onChange={setSearch} hint="A name, or part of one." />
        <SelectField
          label="Status"
          value={status}
          options={STATUSES}
          onChange={setStatus}
          any="Any"
        />
        <SortField sorts={SORTS} value={sort} onChange={setSort} />
      </Toolbar>
      <WholeListView query={businesses} shown={rows} empty="No businesses yet">
        {(items) => (
          <DataTable
            label="Businesses"
            rows={items}
            rowKey={(b) => b.id}
            columns={[
              {
                header: 'Name',
                primary: true,
                cell: (b) => (
                  <span className="name-stack">
                    <span className="named">
                      <Clip text={b.name} />
                      {opened?.id === b.id && <span className="muted">(open)</span>}
                    </span>
                    <IdToggle id={b.id} of={b.name} />
                  </span>
                ),
              },
              {
                header: 'Status',
                cell: (b) => <Badge tone={b.status === 'active' ? 'ok' : 'bad'}>{b.status}</Badge>,
              },
              { header: 'Created', cell: (b) => <Time iso={b.created_at} /> },
              {
                header: 'Actions',
                actions: true,
                cell: (b) => (
                  <>
                    <button type="button" className="button small primary" onClick={() => open(b)}>
                      Open
                    </button>
                    <button
                      type="button"
                      className={
                        b.status === 'active' ? 'button small danger-outline' : 'button small'
                      }
                      disabled={toggle.isPending}
                      onClick={() => (b.status === 'active' ? setSuspending(b) : toggle.mutate(b))}
                    >
                      {b.status === 'active' ? 'Suspend' : 'Resume'}
                    </button>
                  </>
                ),
              },
            ]}
          />
        )}
      </WholeListView>
      {creating && <NewBusinessDialog onClose={() => setCreating(false)} />}
      {suspending && (
        <ConfirmDialog
          title={`Suspend ${suspending.name}`}
          confirm="Suspend business"
          mutation={toggle}
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
