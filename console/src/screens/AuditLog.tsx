import { useMemo, useState } from 'react';
import { auditApi, type AuditFilters, type AuditScope } from '../api/audit';
import { PAGE_SIZE, useKeyset } from '../api/keyset';
import type { AuditEvent } from '../api/types';
import { AuditEventDialog } from '../components/AuditEventDialog';
import { AuditIntegrity } from '../components/AuditIntegrity';
import { Field } from '../components/Field';
import { localToIso, useDebounced, UUID } from '../components/hooks';
import { KeysetList } from '../components/List';
import { Named } from '../components/Named';
import { Badge, TableWrap } from '../components/Table';
import { Time } from '../components/Time';
import { useTitle } from '../components/useTitle';
import { useSession } from '../session';

interface Form {
  action: string;
  actor: string;
  target: string;
  outcome: '' | 'success' | 'failure';
  from: string;
  to: string;
  business: string;
}

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

const EMPTY: Form = {
  action: '',
  actor: '',
  target: '',
  outcome: '',
  from: '',
  to: '',
  business: '',
};

/** The form as API filters: only whole ids, and times as RFC 3339 instants. */
function filtersOf(f: Form, platform: boolean): AuditFilters {
  const actions = f.action.split(/[\s,]+/).filter(Boolean);
  const id = (v: string) => (UUID.test(v.trim()) ? v.trim() : undefined);
  const out: AuditFilters = {};
  if (actions.length) out.action = actions;
  if (id(f.actor)) out.actor_id = id(f.actor);
  if (id(f.target)) out.target_id = id(f.target);
  if (f.outcome) out.outcome = f.outcome;
  if (localToIso(f.from)) out.from = localToIso(f.from);
  if (localToIso(f.to)) out.to = localToIso(f.to);
  if (platform && id(f.business)) out.business_id = id(f.business);
  return out;
}

export function AuditLog({ scope }: { scope: AuditScope }) {
  const platform = scope === 'platform';
  useTitle(platform ? 'Platform audit log' : 'Audit log');
  const session = useSession();
  const audit = useMemo(() => auditApi(session, scope), [session, scope]);
  const [form, setForm] = useState<Form>(EMPTY);
  const [open, setOpen] = useState<AuditEvent | null>(null);
  const settled = useDebounced(form);
  const filters = useMemo(() => filtersOf(settled, platform), [settled, platform]);
  const events = useKeyset([...audit.key, 'events', filters], (cursor) =>
    audit.list(filters, cursor, PAGE_SIZE),
  );
  const set = (key: keyof Form) => (e: { currentTarget: { value: string } }) => {
    const value = e.currentTarget.value;
    setForm((old) => ({ ...old, [key]: value }));
  };
  const notId = (v: string) =>
    v.trim() && !UUID.test(v.trim()) ? 'Not a whole id yet.' : undefined;

  return (
    <>
      <h1>{platform ? 'Platform audit log' : 'Audit log'}</h1>
      <p className="lead">
        {platform
          ? 'Every business event across tenants (filter by business), and the platform chain: businesses, platform admins, users and platform tokens.'
          : `Everything that changed in ${session.business?.name ?? 'this business'}, newest first.`}
      </p>
      <form
        className="form filters"
        role="search"
        aria-label="Filter audit events"
        onSubmit={(e) => e.preventDefault()}
      >
        <Field label="Action" hint="e.g. token.revoked; several with commas.">
          {(p) => <input {...p} className="input" value={form.action} onChange={set('action')} />}
        </Field>
        <Field label="Actor id" hint={notId(form.actor)}>
          {(p) => (
            <input {...p} className="input mono" value={form.actor} onChange={set('actor')} />
          )}
        </Field>
        <Field label="Target id" hint={notId(form.target)}>
          {(p) => (
            <input {...p} className="input mono" value={form.target} onChange={set('target')} />
          )}
        </Field>
        <Field label="Outcome">
          {(p) => (
            <select {...p} className="input" value={form.outcome} onChange={set('outcome')}>
              <option value="">Any</option>
              <option value="success">success</option>
              <option value="failure">failure</option>
            </select>
          )}
        </Field>
        <Field label="From" hint="Inclusive, your local time.">
          {(p) => (
            <input
              {...p}
              className="input"
              type="datetime-local"
              value={form.from}
              onChange={set('from')}
            />
          )}
        </Field>
        <Field label="To" hint="Exclusive, your local time.">
          {(p) => (
            <input
              {...p}
              className="input"
              type="datetime-local"
              value={form.to}
              onChange={set('to')}
            />
          )}
        </Field>
        {platform && (
          <Field label="Business id" hint={notId(form.business)}>
            {(p) => (
              <input
                {...p}
                className="input mono"
                value={form.business}
                onChange={set('business')}
              />
            )}
          </Field>
        )}
        <div className="actions">
          <button type="button" className="button ghost" onClick={() => setForm(EMPTY)}>
            Clear filters
          </button>
        </div>
      </form>
      <section aria-labelledby="events">
        <h2 id="events">Events</h2>
        <KeysetList query={events} empty="No audit events yet">
          {(items) => (
            <TableWrap label="Audit events">
              <thead>
                <tr>
                  <th scope="col">Seq</th>
                  <th scope="col">Action</th>
                  <th scope="col">When</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Target</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.id}>
                    <td>{e.seq}</td>
                    <th scope="row">
                      <button type="button" className="link-button" onClick={() => setOpen(e)}>
                        {e.action}
                      </button>
                    </th>
                    <td>
                      <Time iso={e.occurred_at} />
                    </td>
                    <td>
                      <Badge tone={e.outcome === 'success' ? 'ok' : 'bad'}>{e.outcome}</Badge>
                    </td>
                    <td>
                      <Named
                        type={e.actor.type}
                        label={e.actor.label}
                        kind={e.actor.type !== 'user'}
                      />
                    </td>
                    <td>
                      <Named type={e.target.type} label={e.target.label} />
                    </td>
                    <td>
                      <span className="wrap">{gist(e.metadata)}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          )}
        </KeysetList>
      </section>
      <AuditIntegrity audit={audit} filters={filters} />
      {open && <AuditEventDialog event={open} onClose={() => setOpen(null)} />}
    </>
  );
}
