import { useState } from 'react';
import { envelope, unwrap } from '../api/call';
import { PAGE_SIZE, useKeyset } from '../api/keyset';
import type { TokenView } from '../api/types';
import { BulkRevokeDialog } from '../components/BulkRevokeDialog';
import { CreateTokenForm } from '../components/CreateTokenForm';
import { Field } from '../components/Field';
import {
  PrefixField,
  SortField,
  StatusField,
  type TokenSort,
  type TokenStatusFilter,
} from '../components/TokenFilterFields';
import { useDebounced, useHolders, useInvalidateBusiness, UUID } from '../components/hooks';
import { KeysetList } from '../components/List';
import { RevokeDialog } from '../components/RevokeDialog';
import { RotateDialog } from '../components/RotateDialog';
import { Notice } from '../components/Status';
import { TokenTable } from '../components/TokenTable';
import { useTitle } from '../components/useTitle';
import { Link, paths } from '../router';
import { mayActOn } from '../permissions';
import { useBusiness } from '../session';

export function Tokens() {
  useTitle('Tokens');
  const { api, business, caps, whoami } = useBusiness();
  const holders = useHolders();
  const invalidate = useInvalidateBusiness();
  const [status, setStatus] = useState<TokenStatusFilter>('');
  const [identity, setIdentity] = useState('');
  const [prefix, setPrefix] = useState('');
  const [sort, setSort] = useState<TokenSort>('created_at');
  const [revoking, setRevoking] = useState<TokenView | null>(null);
  const [rotating, setRotating] = useState<TokenView | null>(null);
  const [bulk, setBulk] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const identityId = useDebounced(identity.trim());
  const identityOk = identityId === '' || UUID.test(identityId);
  const name = useDebounced(prefix);
  const filters = { status, identityId: identityOk ? identityId : '', name, sort };
  const tokens = useKeyset(['biz', business.id, 'tokens', filters], (cursor) =>
    unwrap(
      api.GET('/api/v1/tokens', {
        params: {
          query: {
            limit: PAGE_SIZE,
            cursor,
            sort,
            ...(status ? { status } : {}),
            ...(filters.identityId ? { identity_id: filters.identityId } : {}),
            ...(name ? { name } : {}),
          },
        },
      }),
    ),
  );

  const me = whoami.identity.id;
  // Only an active token can be revoked or rotated, and only where the token policy allows it.
  const may = (action: 'revoke' | 'rotate', t: TokenView) =>
    t.status === 'active' &&
    mayActOn(caps.caller, me, action, t.identity_id, holders.byId.get(t.identity_id));
  const holderLabel = (id: string) => (id === me ? 'you' : holders.labels.get(id));

  return (
    <>
      <h1>Tokens</h1>
      <p className="lead">
        {caps.admin ? `Every token of ${business.name}.` : 'Your tokens in this business.'}{' '}
        <Link to={paths.risky}>Risky tokens</Link>
      </p>
      <Notice>{notice}</Notice>
      <CreateTokenForm holders={holders} />

      <section aria-labelledby="token-list">
        <div className="section-head">
          <h2 id="token-list">Token list</h2>
          {caps.tokensAdmin && (
            <button type="button" className="button danger-outline" onClick={() => setBulk(true)}>
              Bulk revoke
            </button>
          )}
        </div>
        <form
          className="form filters"
          role="search"
          aria-label="Filter tokens"
          onSubmit={(e) => e.preventDefault()}
        >
          <StatusField value={status} onChange={setStatus} />
          {caps.admin && (
            <Field
              label="Identity id"
              hint={identityOk ? 'The holder, a person or machine.' : 'Not a whole id yet.'}
            >
              {(p) => (
                <>
                  <input
                    {...p}
                    className="input mono"
                    list={holders.labels.size > 0 ? 'token-holders' : undefined}
                    value={identity}
                    onChange={(e) => setIdentity(e.currentTarget.value)}
                  />
                  {holders.labels.size > 0 && (
                    <datalist id="token-holders">
                      {[...holders.labels].map(([id, label]) => (
                        <option key={id} value={id} label={label} />
                      ))}
                    </datalist>
                  )}
                </>
              )}
            </Field>
          )}
          <PrefixField value={prefix} onChange={setPrefix} />
          <SortField value={sort} onChange={setSort} />
        </form>
        <KeysetList query={tokens} empty="No tokens yet">
          {(items) => (
            <TokenTable
              tokens={items}
              holderLabel={holderLabel}
              actions={(t) => (
                <>
                  {may('revoke', t) && (
                    <button
                      type="button"
                      className="button small danger-outline"
                      onClick={() => setRevoking(t)}
                    >
                      Revoke
                    </button>
                  )}
                  {may('rotate', t) && (
                    <button type="button" className="button small" onClick={() => setRotating(t)}>
                      Rotate
                    </button>
                  )}
                </>
              )}
            />
          )}
        </KeysetList>
      </section>

      {revoking && (
        <RevokeDialog
          what={`“${revoking.name}”`}
          revoke={async (reason) => {
            const answer = await envelope(
              api.POST('/api/v1/tokens/{token_id}/revoke', {
                params: { path: { token_id: revoking.id } },
                body: { reason },
              }),
            );
            void invalidate();
            return answer;
          }}
          onClose={() => setRevoking(null)}
          onDone={setNotice}
        />
      )}
      {rotating && <RotateDialog token={rotating} onClose={() => setRotating(null)} />}
      {bulk && <BulkRevokeDialog onClose={() => setBulk(false)} onDone={setNotice} />}
    </>
  );
}
