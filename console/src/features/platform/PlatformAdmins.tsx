import { useState } from 'react';
import {
  useAddPlatformAdmin,
  usePlatformAdmins,
  useRemovePlatformAdmin,
} from '../../api/resources/platform-admins.api';
import type { PlatformAdmin } from '../../api/types';
import { ConfirmDialog } from '../../ui/dialogs/ConfirmDialog';
import { DataTable } from '../../ui/lists/DataTable';
import { Field } from '../../ui/forms/Field';
import { FormDialog } from '../../ui/dialogs/FormDialog';
import { IdToggle } from '../../ui/names/IdToggle';
import { WholeListView } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { byText, matches, newestFirst, oldestFirst, searched } from '../../ui/lists/search';
import { SecretReveal } from '../../ui/forms/SecretReveal';
import { Notice } from '../../ui/Status';
import { Time } from '../../ui/Time';
import { SearchField, SortField, Toolbar } from '../../ui/lists/Toolbar';
import { useSession } from '../../session';
import { revokedLine } from '../../ui/revoked-line';
import { Clip } from '../../ui/names/Clip';
import { IconAddMember } from '../../ui/brand/icons';

const SORTS = {
  newest: ['Newest first', newestFirst((a: PlatformAdmin) => a.created_at)],
  oldest: ['Oldest first', oldestFirst((a: PlatformAdmin) => a.created_at)],
  email: ['Email, A to Z', byText((a: PlatformAdmin) => a.email)],
} as const;
type Sort = keyof typeof SORTS;

function AddAdminDialog({ onClose }: { onClose: () => void }) {
  const [email, setEmail] = useState('');
  const add = useAddPlatformAdmin();
  const added = add.data;
  return (
    <FormDialog
      title="Add a platform admin"
      submit="Add admin"
      onSubmit={() => add.mutate(email.trim())}
      onClose={onClose}
      pending={add.isPending}
      error={add.error}
      done={
        added && (
          <>
            <Notice>{`${added.admin.email} is now a platform admin.`}</Notice>
            <SecretReveal
              secret={added.first_token.token}
              heading={`Platform token of ${added.admin.email}`}
              onDone={onClose}
            />
          </>
        )
      }
    >
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
    </FormDialog>
  );
}

export function PlatformAdmins() {
  const { whoami } = useSession();
  const admins = usePlatformAdmins();
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<Sort>('newest');
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [removing, setRemoving] = useState<PlatformAdmin | null>(null);
  const remove = useRemovePlatformAdmin((answer, a) =>
    setNotice(`${revokedLine('Removed', answer)}. ${a.email} is no longer a platform admin.`),
  );
  const rows = searched(admins.data?.items, (a) => matches(search, a.email), SORTS[sort][1]);
  return (
    <>
      <PageHead
        title="Platform admins"
        lead="The people who run this installation: they manage businesses and platform admins."
        actions={
          <button type="button" className="button primary" onClick={() => setAdding(true)}>
            <IconAddMember />
            Add platform admin
          </button>
        }
      />
      <Notice>{notice}</Notice>
      <Toolbar label="Find platform admins">
        <SearchField value={search} onChange={setSearch} hint="An email, or part of one." />
        <SortField sorts={SORTS} value={sort} onChange={setSort} />
      </Toolbar>
      <WholeListView query={admins} shown={rows} empty="No platform admins yet">
        {(items) => (
          <DataTable
            label="Platform admins"
            rows={items}
            rowKey={(a) => a.identity_id}
            columns={[
              {
                header: 'Email',
                primary: true,
                cell: (a) => (
                  <span className="name-stack">
                    <span className="named">
                      <Clip text={a.email} />
                      {a.identity_id === whoami.identity.id && <span className="muted">(you)</span>}
                    </span>
                    <IdToggle id={a.identity_id} of={a.email} />
                  </span>
                ),
              },
              { header: 'Added', cell: (a) => <Time iso={a.created_at} /> },
              {
                header: 'Actions',
                actions: true,
                cell: (a) => (
                  <button
                    type="button"
                    className="button small danger-outline"
                    onClick={() => setRemoving(a)}
                  >
                    Remove
                  </button>
                ),
              },
            ]}
          />
        )}
      </WholeListView>
      {adding && <AddAdminDialog onClose={() => setAdding(false)} />}
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
