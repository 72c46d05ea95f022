import { useMemo, useState } from 'react';
import { auditApi, type AuditFilters, type AuditScope } from '../../api/resources/audit.api';
import { useDirectory, useBusinessNames } from '../../api/directory';
import { PAGE_SIZE, useKeyset } from '../../api/keyset';
import { usePlatformAdmins } from '../../api/resources/platform-admins.api';
import type { AuditEvent } from '../../api/types';
import { AuditEventDialog } from './AuditEventDialog';
import { AuditIntegrity } from './AuditIntegrity';
import { DataTable } from '../../ui/lists/DataTable';
import { Field } from '../../ui/forms/Field';
import { useDebounced } from '../../ui/hooks';
import { utcToIso, UtcDateTimeInput } from '../../ui/forms/UtcDateTime';
import { KeysetList } from '../../ui/lists/List';
import { MoreFilters } from '../../ui/lists/MoreFilters';
import { Named } from '../../ui/names/Named';
import { PageHead } from '../../ui/PageHead';
import { Badge } from '../../ui/lists/Table';
import { Time } from '../../ui/Time';
import { SelectField, Toolbar } from '../../ui/lists/Toolbar';
import { useSession } from '../../session';
import { Clip, Token } from '../../ui/names/Clip';

interface Form {
  action: string;
  actor: string;
  target: string;
  outcome: '' | 'success' | 'failure';
  from: string;
  to: string;
  business: string;
}

const EMPTY: Form = {
  action: '',
  actor: '',
  target: '',
  outcome: '',
  from: '',
  to: '',
  business: '',
};

/** The one line of an event's metadata worth a glance in the list: why, or what changed. */
function gist(m: Record<string, unknown>): string {
  const parts: string[] = [];
  const text = (v: unknown) => typeof v === 'string' || typeof v === 'number';
  if (text(m.reason)) parts.push(`reason: ${String(m.reason)}`);
  if (text(m.from) && text(m.to)) parts.push(`${String(m.from)} → ${String(m.to)}`);
  if (text(m.role)) parts.push(`role: ${String(m.role)}`);
  if (text(m.owner)) parts.push(`owner: ${String(m.owner)}`);
  if (text(m.days_before)) parts.push(`${String(m.days_before)} days before expiry`);
  if (Array.isArray(m.revoked_token_ids))
    parts.push(`${m.revoked_token_ids.length} tokens revoked`);
  if (text(m.grace_period_seconds)) parts.push(`grace ${String(m.grace_period_seconds)} s`);
  return parts.join(' · ');
}

/** The form as API filters: ids picked by name, times as RFC 3339 instants. */
function filtersOf(f: Form, platform: boolean): AuditFilters {
  const actions = f.action.split(/[\s,]+/).filter(Boolean);
  const out: AuditFilters = {};
  if (actions.length) out.action = actions;
  if (f.actor) out.actor_id = f.actor;
  if (f.target) out.target_id = f.target;
  if (f.outcome) out.outcome = f.outcome;
  if (utcToIso(f.from)) out.from = utcToIso(f.from);
  if (utcToIso(f.to)) out.to = utcToIso(f.to);
  if (platform && f.business) out.business_id = f.business;
  return out;
}

const OUTCOMES = [
  ['success', 'success'],
  ['failure', 'failure'],
] as const;

/** Who may be picked as actor or target: the business's people and machines, by name. */
function useBusinessPeople(enabled: boolean): (readonly [string, string])[] {
  const directory = useDirectory();
  return useMemo(
    () =>
      enabled
        ? [...directory.byId.values()]
            .map((n) => [n.id, n.kind === 'machine' ? `machine ${n.label}` : n.label] as const)
            .sort((a, b) => a[1].localeCompare(b[1]))
        : [],
    [directory, enabled],
  );
}

function BusinessAudit() {
  return <AuditLogScreen scope="business" people={useBusinessPeople(true)} />;
}

function PlatformAudit() {
  const admins = usePlatformAdmins();
  const people = useMemo(
    () => (admins.data?.items ?? []).map((a) => [a.identity_id, a.email] as const),
    [admins.data],
  );
  return <AuditLogScreen scope="platform" people={people} />;
}

export function AuditLog({ scope }: { scope: AuditScope }) {
  return scope === 'platform' ? <PlatformAudit /> : <BusinessAudit />;
}

function AuditLogScreen({
  scope,
  people,
}: {
  scope: AuditScope;
  people: (readonly [string, string])[];
}) {
  const platform = scope === 'platform';
  const session = useSession();
  const audit = useMemo(() => auditApi(session, scope), [session, scope]);
  const businessNames = useBusinessNames(platform);
  const [form, setForm] = useState<Form>(EMPTY);
  const [open, setOpen] = useState<AuditEvent | null>(null);
  const settled = useDebounced(form);
  const filters = useMemo(() => filtersOf(settled, platform), [settled, platform]);
  const events = useKeyset([...audit.key, 'events', filters], (cursor) =>
    audit.list(filters, cursor, PAGE_SIZE),
  );
  const set =
    <K extends keyof Form>(key: K) =>
    (value: Form[K]) =>
      setForm((old) => ({ ...old, [key]: value }));
  const businesses = [...businessNames].sort((a, b) => a[1].localeCompare(b[1]));
  const more = [form.target, form.outcome, form.from, form.to].filter(Boolean).length;
  /** The chain an event belongs to, by name: a business's, or the platform's. */
  const chainOf = (e: AuditEvent) =>
    e.business_id ? (businessNames.get(e.business_id) ?? 'a business') : 'platform';

  return (
    <>
      <PageHead
        title={platform ? 'Platform audit log' : 'Audit log'}
        lead={
          platform
            ? 'Every business’s events, and the platform chain’s (businesses, platform admins, platform tokens), newest first. Each event’s number is its place in its own chain.'
            : `Everything that changed in ${session.business?.name ?? 'this business'}, newest first.`
        }
      />
      <Toolbar label="Filter audit events">
        <Field
          label="Action"
          hint="e.g. token.revoked; several with commas."
          className="toolbar-search"
        >
          {(p) => (
            <input
              {...p}
              className="input"
              value={form.action}
              onChange={(e) => set('action')(e.currentTarget.value)}
            />
          )}
        </Field>
        {platform && (
          <SelectField
            label="Business"
            value={form.business}
            options={businesses}
            onChange={set('business')}
            any="Every chain"
          />
        )}
        <SelectField
          label="Actor"
          value={form.actor}
          options={people}
          onChange={set('actor')}
          any="Anyone"
        />
        <MoreFilters count={more}>
          {!platform && (
            <SelectField
              label="Target"
              value={form.target}
              options={people}
              onChange={set('target')}
              any="Anything"
            />
          )}
          <SelectField
            label="Outcome"
            value={form.outcome}
            options={OUTCOMES}
            onChange={set('outcome')}
            any="Any"
          />
          <Field label="From (UTC)" hint="Inclusive, in UTC.">
            {(p) => <UtcDateTimeInput {...p} value={form.from} onChange={set('from')} />}
          </Field>
          <Field label="To (UTC)" hint="Exclusive, in UTC.">
            {(p) => <UtcDateTimeInput {...p} value={form.to} onChange={set('to')} />}
          </Field>
          <div className="actions">
            <button type="button" className="button ghost" onClick={() => setForm(EMPTY)}>
              Clear filters
            </button>
          </div>
        </MoreFilters>
      </Toolbar>
      <section aria-labelledby="events">
        <h2 id="events" className="visually-hidden">
          Events
        </h2>
        <KeysetList query={events} empty="No audit events match">
          {(items) => (
            <DataTable
              label="Audit events"
              rows={items}
              rowKey={(e) => e.id}
              columns={[
                {
                  header: 'Action',
                  primary: true,
                  cell: (e) => (
                    <button type="button" className="link-button" onClick={() => setOpen(e)}>
                      <Token>{e.action}</Token>
                    </button>
                  ),
                },
                { header: 'When', cell: (e) => <Time iso={e.occurred_at} /> },
                platform
                  ? {
                      header: 'Chain',
                      cell: (e) => (
                        <span className="named">
                          <Clip text={chainOf(e)} />
                          <Token>
                            <span className="muted">#{e.seq}</span>
                          </Token>
                        </span>
                      ),
                    }
                  : { header: 'Seq', cell: (e) => <span className="muted">#{e.seq}</span> },
                {
                  header: 'Actor',
                  cell: (e) => (
                    <Named
                      type={e.actor.type}
                      label={e.actor.label}
                      kind={e.actor.type !== 'user'}
                    />
                  ),
                },
                {
                  header: 'Target',
                  cell: (e) => <Named type={e.target.type} label={e.target.label} />,
                },
                {
                  header: 'Outcome',
                  cell: (e) => (
                    <Badge tone={e.outcome === 'success' ? 'ok' : 'bad'}>{e.outcome}</Badge>
                  ),
                },
                {
                  header: 'Details',
                  cell: (e) => gist(e.metadata) && <Clip text={gist(e.metadata)} />,
                },
              ]}
            />
          )}
        </KeysetList>
      </section>
      <AuditIntegrity audit={audit} filters={filters} />
      {open && (
        <AuditEventDialog
          event={open}
          chain={platform ? chainOf(open) : undefined}
          onClose={() => setOpen(null)}
        />
      )}
    </>
  );
}
