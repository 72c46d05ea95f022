import { useState } from 'react';
import { useToggleWebhook, useWebhooks } from './webhooks.api';
import type { Webhook } from '../../api/types';
import { DataTable } from '../../ui/lists/DataTable';
import { ErrorBox } from '../../ui/ErrorBox';
import { WholeListView } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { byText, matches, newestFirst, oldestFirst, searched } from '../../ui/lists/search';
import { Notice } from '../../ui/Status';
import { Time } from '../../ui/Time';
import { SearchField, SelectField, SortField, Toolbar } from '../../ui/lists/Toolbar';
import { DeleteWebhookDialog, WebhookState } from './WebhookParts';
import { NewWebhookDialog } from './NewWebhookDialog';
import { Link, paths } from '../../router';
import { useBusiness } from '../../session';
import { Clip } from '../../ui/names/Clip';
import { IconPlus } from '../../ui/brand/icons';

const SORTS = {
  newest: ['Newest first', newestFirst((h: Webhook) => h.created_at)],
  oldest: ['Oldest first', oldestFirst((h: Webhook) => h.created_at)],
  url: ['URL, A to Z', byText((h: Webhook) => h.url)],
} as const;
type Sort = keyof typeof SORTS;

const STATES = [
  ['enabled', 'Enabled'],
  ['disabled', 'Disabled'],
] as const;

export function Webhooks() {
  const { business, caps } = useBusiness();
  const hooks = useWebhooks();
  const [search, setSearch] = useState('');
  const [state, setState] = useState<'enabled' | 'disabled' | ''>('');
  const [sort, setSort] = useState<Sort>('newest');
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const toggle = useToggleWebhook((h) =>
    setNotice(`${h.enabled ? 'Enabled' : 'Disabled'} the endpoint.`),
  );
  const rows = searched(
    hooks.data?.items,
    (h) => (!state || h.enabled === (state === 'enabled')) && matches(search, h.url, h.description),
    SORTS[sort][1],
  );
  return (
    <>
      <PageHead
        title="Webhooks"
        lead={`Endpoints told of ${business.name}'s events, signed (Standard Webhooks).`}
        actions={
          caps.webhooksWrite && (
            <button type="button" className="button primary" onClick={() => setCreating(true)}>
              <IconPlus />
              New endpoint
            </button>
          )
        }
      />
      <Notice>{notice}</Notice>
      <ErrorBox error={toggle.error} />
      <Toolbar label="Find webhook endpoints">
        <SearchField value={search} onChange={setSearch} hint="Part of a URL or description." />
        <SelectField label="State" value={state} options={STATES} onChange={setState} any="Any" />
        <SortField sorts={SORTS} value={sort} onChange={setSort} />
      </Toolbar>
      <WholeListView query={hooks} shown={rows} empty="No webhooks yet">
        {(items) => (
          <DataTable
            label="Webhook endpoints"
            rows={items}
            rowKey={(h) => h.id}
            columns={[
              {
                header: 'Endpoint',
                primary: true,
                cell: (h) => (
                  <span className="name-stack">
                    <Clip text={h.url}>
                      <Link to={paths.webhook(h.id)}>{h.url}</Link>
                    </Clip>
                    {h.description && <span className="muted small">{h.description}</span>}
                  </span>
                ),
              },
              { header: 'State', cell: (h) => <WebhookState hook={h} /> },
              {
                header: 'Events',
                cell: (h) => <span className="wrap">{h.event_types.join(', ')}</span>,
              },
              { header: 'Created', cell: (h) => <Time iso={h.created_at} /> },
              caps.webhooksWrite && {
                header: 'Actions',
                actions: true,
                cell: (h) => (
                  <>
                    <button
                      type="button"
                      className="button small"
                      disabled={toggle.isPending}
                      onClick={() => toggle.mutate(h)}
                    >
                      {h.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <button
                      type="button"
                      className="button small danger-outline"
                      onClick={() => setDeleting(h)}
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
      {creating && (
        <NewWebhookDialog onClose={() => setCreating(false)} auditRead={caps.auditRead} />
      )}
      {deleting && (
        <DeleteWebhookDialog hook={deleting} onClose={() => setDeleting(null)} onDone={setNotice} />
      )}
    </>
  );
}
