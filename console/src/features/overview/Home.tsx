import { useState, type FormEvent } from 'react';
import { useBusinesses } from '../platform/businesses.api';
import { ErrorBox } from '../../ui/ErrorBox';
import { Field } from '../../ui/Field';
import { Empty, Loading } from '../../ui/Status';
import { TokenFacts } from '../tokens/TokenFacts';
import { useTitle } from '../../ui/useTitle';
import { Link, navigate, paths } from '../../router';
import { useSession } from '../../session';

/** For a platform token: pick the business to act in. */
function OpenBusiness() {
  const { openBusiness, business } = useSession();
  const list = useBusinesses();
  const [chosen, setChosen] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const b = list.data?.items.find((x) => x.id === (chosen || list.data?.items[0]?.id));
    if (!b) return;
    openBusiness({ id: b.id, name: b.name, status: b.status });
    navigate(paths.tokens);
  };
  return (
    <section className="card" aria-labelledby="open-business">
      <h2 id="open-business">Act in a business</h2>
      <p className="muted">
        A platform token may act in any business: open one to manage its tokens, members, machines,
        webhooks and audit log.
      </p>
      {list.isPending && <Loading />}
      <ErrorBox error={list.error} />
      {list.data && list.data.items.length === 0 && (
        <Empty>
          No businesses yet. <Link to={paths.businesses}>Create one</Link>.
        </Empty>
      )}
      {list.data && list.data.items.length > 0 && (
        <form className="form inline" onSubmit={submit}>
          <Field label="Business">
            {(p) => (
              <select
                {...p}
                className="input"
                value={chosen || business?.id || list.data.items[0]?.id}
                onChange={(e) => setChosen(e.currentTarget.value)}
              >
                {list.data.items.map((b) => (
                  <option key={b.id} value={b.id}>
                    {b.name}
                    {b.status === 'suspended' ? ' (suspended)' : ''}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <div className="actions">
            <button type="submit" className="button primary">
              Open
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

export function Home() {
  useTitle('Overview');
  const { whoami, business, caps } = useSession();
  return (
    <>
      <h1>Overview</h1>
      <section className="card" aria-labelledby="you">
        <h2 id="you">You</h2>
        <dl className="facts">
          <div>
            <dt>Identity</dt>
            <dd className="wrap">
              {whoami.identity.label} ({whoami.identity.kind})
            </dd>
          </div>
          {business && (
            <div>
              <dt>Business</dt>
              <dd>
                <span className="wrap">{business.name}</span> ({business.status}), role{' '}
                {business.role ?? 'platform admin'}
              </dd>
            </div>
          )}
          <div>
            <dt>Signed in with</dt>
            <dd className="wrap">
              {whoami.is_platform_token ? 'a platform token' : 'a business token'} “
              {whoami.token.name}”
            </dd>
          </div>
        </dl>
        <TokenFacts
          token={whoami.token}
          holder={<span className="wrap">{whoami.identity.label} (you)</span>}
          business={business && <span className="wrap">{business.name}</span>}
        />
      </section>
      {caps.platform && <OpenBusiness />}
    </>
  );
}
