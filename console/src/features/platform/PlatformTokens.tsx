import { useState } from 'react';
import { useBusinessNames } from '../../api/directory';
import { useIdentityNames } from '../../api/resources/identity-names.api';
import { usePlatformRevoke, usePlatformTokenList, useRevokeByValue } from './platform-tokens.api';
import type { TokenSort, TokenStatus } from '../../api/resources/tokens.api';
import type { TokenRow } from '../../api/types';
import { Field } from '../../ui/forms/Field';
import { Clip } from '../../ui/names/Clip';
import { Holder } from '../../ui/names/Holder';
import { useDebounced } from '../../ui/hooks';
import { KeysetList } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { RevokeDialog } from '../../ui/tokens/RevokeDialog';
import { Notice } from '../../ui/Status';
import { TokenTable } from '../../ui/tokens/TokenTable';
import { stateOffers } from '../../ui/tokens/token-state';
import { SortTokensField, StatusField } from '../../ui/tokens/TokenFilterFields';
import { SearchField, SelectField, Toolbar } from '../../ui/lists/Toolbar';
import { useSession } from '../../session';
import { IconRevoke } from '../../ui/brand/icons';

export function PlatformTokens() {
  const { whoami } = useSession();
  const businessNames = useBusinessNames();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<TokenStatus | ''>('');
  const [businessId, setBusinessId] = useState('');
  const [sort, setSort] = useState<TokenSort>('-created_at');
  const [revoking, setRevoking] = useState<TokenRow | null>(null);
  const [byValue, setByValue] = useState(false);
  const [secret, setSecret] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const revoke = usePlatformRevoke();
  const revokeByValue = useRevokeByValue();

  const q = useDebounced(search.trim());
  const tokens = usePlatformTokenList({
    sort,
    ...(status ? { status } : {}),
    ...(businessId ? { business_id: businessId } : {}),
    ...(q ? { q } : {}),
  });
  const holders = useIdentityNames(tokens.items.map((t) => t.identity_id));
  const businesses = [...businessNames].sort((a, b) => a[1].localeCompare(b[1]));

  return (
    <>
      <PageHead
        title="All tokens"
        lead="Every token of every business, and the platform tokens, newest first."
        actions={
          <button type="button" className="button danger-outline" onClick={() => setByValue(true)}>
            Revoke by value
          </button>
        }
      />
      <Notice>{notice}</Notice>
      <Toolbar label="Find tokens">
        <SearchField
          value={search}
          onChange={setSearch}
          hint="A name, a prefix (lk_ab12) or a holder's email."
        />
        <SelectField
          label="Business"
          value={businessId}
          options={businesses}
          onChange={setBusinessId}
          any="Every business"
        />
        <StatusField value={status} onChange={setStatus} />
        <SortTokensField value={sort} onChange={setSort} />
      </Toolbar>
      <KeysetList
        query={tokens}
        empty={q || status || businessId ? 'No token matches' : 'No tokens yet'}
      >
        {(items) => (
          <TokenTable
            tokens={items}
            linked={false}
            holder={(t) => {
              const who = holders.get(t.identity_id);
              return (
                <Holder
                  id={t.identity_id}
                  me={whoami.identity.id}
                  who={who && { kind: who.kind, label: who.label }}
                />
              );
            }}
            business={(t) =>
              t.business_id ? (
                <Clip text={businessNames.get(t.business_id) ?? 'a business'} />
              ) : (
                <span className="muted">platform</span>
              )
            }
            actions={(t) =>
              stateOffers(t, 'revoke') && (
                <button
                  type="button"
                  className="button small danger-outline"
                  onClick={() => setRevoking(t)}
                >
                  <IconRevoke />
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
          revoke={(reason) => revoke.mutateAsync({ id: revoking.id, reason })}
          onClose={() => setRevoking(null)}
          onDone={setNotice}
        />
      )}
      {byValue && (
        <RevokeDialog
          what="a token by its value"
          revoke={async (reason) => {
            const answer = await revokeByValue.mutateAsync({ token: secret.trim(), reason });
            setSecret('');
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
