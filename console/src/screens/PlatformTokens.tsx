import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { envelope, unwrap } from '../api/call';
import { PAGE_SIZE, useKeyset } from '../api/keyset';
import type { TokenView } from '../api/types';
import { Field } from '../components/Field';
import {
  PrefixField,
  SortField,
  StatusField,
  type TokenSort,
  type TokenStatusFilter,
} from '../components/TokenFilterFields';
import { useDebounced, UUID } from '../components/hooks';
import { KeysetList } from '../components/List';
import { RevokeDialog } from '../components/RevokeDialog';
import { Notice } from '../components/Status';
import { TokenTable } from '../components/TokenTable';
import { useTitle } from '../components/useTitle';
import { useSession } from '../session';

export function PlatformTokens() {
  useTitle('All tokens');
  const { platform } = useSession();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<TokenStatusFilter>('');
  const [businessId, setBusinessId] = useState('');
  const [identity, setIdentity] = useState('');
  const [prefix, setPrefix] = useState('');
  const [sort, setSort] = useState<TokenSort>('created_at');
  const [revoking, setRevoking] = useState<TokenView | null>(null);
  const [byValue, setByValue] = useState(false);
  const [secret, setSecret] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['platform', 'tokens'] });

  const id = (v: string) => (UUID.test(v.trim()) ? v.trim() : undefined);
  const settled = useDebounced({ businessId, identity, prefix });
  const query = {
    sort,
    ...(status ? { status } : {}),
    ...(id(settled.businessId) ? { business_id: id(settled.businessId) } : {}),
    ...(id(settled.identity) ? { identity_id: id(settled.identity) } : {}),
    ...(settled.prefix ? { name: settled.prefix } : {}),
  };
  const tokens = useKeyset(['platform', 'tokens', query], (cursor) =>
    unwrap(
      platform.GET('/platform/v1/tokens', {
        params: { query: { ...query, limit: PAGE_SIZE, cursor } },
      }),
    ),
  );
  const notId = (v: string) =>
    v.trim() && !UUID.test(v.trim()) ? 'Not a whole id yet.' : undefined;

  return (
    <>
      <h1>All tokens</h1>
      <p className="lead">Every token of every business, and the platform tokens.</p>
      <Notice>{notice}</Notice>
      <div className="actions">
        <button type="button" className="button danger-outline" onClick={() => setByValue(true)}>
          Revoke by value
        </button>
      </div>
      <form
        className="form filters"
        role="search"
        aria-label="Filter tokens"
        onSubmit={(e) => e.preventDefault()}
      >
        <StatusField value={status} onChange={setStatus} />
        <Field label="Business id" hint={notId(businessId)}>
          {(p) => (
            <input
              {...p}
              className="input mono"
              value={businessId}
              onChange={(e) => setBusinessId(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="Identity id" hint={notId(identity)}>
          {(p) => (
            <input
              {...p}
              className="input mono"
              value={identity}
              onChange={(e) => setIdentity(e.currentTarget.value)}
            />
          )}
        </Field>
        <PrefixField value={prefix} onChange={setPrefix} />
        <SortField value={sort} onChange={setSort} />
      </form>
      <KeysetList query={tokens} empty="No tokens yet">
        {(items) => (
          <TokenTable
            tokens={items}
            linked={false}
            showBusiness
            actions={(t) =>
              t.status === 'active' && (
                <button
                  type="button"
                  className="button small danger-outline"
                  onClick={() => setRevoking(t)}
                >
                  Revoke
                </button>
              )
            }
          />
        )}
      </KeysetList>
      {revoking && (
        <RevokeDialog
          what={`“${revoking.name}”`}
          revoke={async (reason) => {
            const answer = await envelope(
              platform.POST('/platform/v1/tokens/{token_id}/revoke', {
                params: { path: { token_id: revoking.id } },
                body: { reason },
              }),
            );
            void refresh();
            return answer;
          }}
          onClose={() => setRevoking(null)}
          onDone={setNotice}
        />
      )}
      {byValue && (
        <RevokeDialog
          what="a token by its value"
          revoke={async (reason) => {
            const answer = await envelope(
              platform.POST('/platform/v1/tokens/revoke', {
                body: { token: secret.trim(), reason },
              }),
            );
            setSecret('');
            void refresh();
            return answer;
          }}
          onClose={() => setByValue(false)}
          onDone={(m) =>
            setNotice(
              m
                .replace(/^a token by its value/, 'The token')
                .replace('a token by its value', 'the token'),
            )
          }
        >
          <Field
            label="Token value"
            hint="The secret itself (lk_…), for example one found in a leak."
          >
            {(p) => (
              <input
                {...p}
                className="input mono"
                type="password"
                autoComplete="off"
                required
                value={secret}
                onChange={(e) => setSecret(e.currentTarget.value)}
              />
            )}
          </Field>
        </RevokeDialog>
      )}
    </>
  );
}
