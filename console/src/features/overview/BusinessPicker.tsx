import { useState, type FormEvent } from 'react';
import { useBusinesses } from '../../api/resources/businesses.api';
import { ErrorBox } from '../../ui/ErrorBox';
import { Field } from '../../ui/forms/Field';
import { Empty, Loading } from '../../ui/Status';
import { Link, navigate, paths } from '../../router';
import { useSession } from '../../session';

/**
 * For a platform token: pick the business to act in. First on the page while no business is
 * open (it is what a platform admin comes for); `switching` once one is, to go to another.
 */
export function BusinessPicker({ switching = false }: { switching?: boolean }) {
  const { openBusiness, business } = useSession();
  const list = useBusinesses();
  const [chosen, setChosen] = useState('');
  const items = list.data?.items ?? [];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const b = items.find((x) => x.id === (chosen || business?.id || items[0]?.id));
    if (!b) return;
    openBusiness({ id: b.id, name: b.name, status: b.status });
    navigate(switching ? paths.home : paths.tokens);
  };
  return (
    <section className="card picker" aria-labelledby="open-business">
      <h2 id="open-business">{switching ? 'Switch business' : 'Act in a business'}</h2>
      {!switching && (
        <p className="muted">
          A platform token may act in any business: open one to manage its tokens, members,
          machines, webhooks and audit log.
        </p>
      )}
      {list.isPending && <Loading />}
      <ErrorBox error={list.error} />
      {list.data && items.length === 0 && (
        <Empty>
          No businesses yet. <Link to={paths.businesses}>Create one</Link>.
        </Empty>
      )}
      {items.length > 0 && (
        <form className="picker-form" onSubmit={submit}>
          <Field label="Business">
            {(p) => (
              <select
                {...p}
                className="input"
                value={chosen || business?.id || items[0]?.id}
                onChange={(e) => setChosen(e.currentTarget.value)}
              >
                {items.map((b) => (
                  <option key={b.id} value={b.id}>
                    {b.name}
                    {b.status === 'suspended' ? ' (suspended)' : ''}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <button type="submit" className="button primary">
            Open
          </button>
        </form>
      )}
    </section>
  );
}
