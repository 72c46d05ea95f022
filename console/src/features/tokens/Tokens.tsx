import { useState } from 'react';
import { useDirectory } from '../../api/directory';
import {
  useRevokeToken,
  useTokenList,
  type TokenSort,
  type TokenStatus,
} from '../../api/resources/tokens.api';
import type { TokenRow } from '../../api/types';
import { BulkRevokeDialog } from './dialogs/BulkRevokeDialog';
import { CreateTokenDialog } from './dialogs/CreateTokenDialog';
import { Holder } from '../../ui/names/Holder';
import { useDebounced } from '../../ui/hooks';
import { KeysetList } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { RevokeDialog } from '../../ui/tokens/RevokeDialog';
import { RotateDialog } from './dialogs/RotateDialog';
import { Notice } from '../../ui/Status';
import { TokenTable } from '../../ui/tokens/TokenTable';
import { stateOffers } from '../../ui/tokens/token-state';
import { HolderField, SortTokensField, StatusField } from '../../ui/tokens/TokenFilterFields';
import { SearchField, Toolbar } from '../../ui/lists/Toolbar';
import { mayActOn } from '../../permissions';
import { Link, paths } from '../../router';
import { useBusiness } from '../../session';
import { IconPlus, IconRevoke, IconRotate } from '../../ui/brand/icons';

const STATUSES: readonly string[] = ['active', 'disabled', 'expired', 'revoked'];

/** The status a link asks the list for (`?status=active`, as the home page's counts link). */
function statusAsked(): TokenStatus | '' {
  const asked = new URLSearchParams(window.location.search).get('status') ?? '';
  return STATUSES.includes(asked) ? (asked as TokenStatus) : '';
}

export function Tokens() {
  const { business, caps, whoami } = useBusiness();
  const directory = useDirectory();
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<TokenStatus | ''>(statusAsked);
  const [holder, setHolder] = useState('');
  const [sort, setSort] = useState<TokenSort>('-created_at');
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<TokenRow | null>(null);
  const [rotating, setRotating] = useState<TokenRow | null>(null);
  const [bulk, setBulk] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const revoke = useRevokeToken();

  const q = useDebounced(search.trim());
  const tokens = useTokenList({
    sort,
    ...(status ? { status } : {}),
    ...(holder ? { identity_id: holder } : {}),
    ...(q ? { q } : {}),
  });

  const me = whoami.identity.id;
  // What the token's state leaves open (a paused one is not rotated), where the policy allows it.
  const may = (action: 'revoke' | 'rotate', t: TokenRow) =>
    stateOffers(t, action) &&
    mayActOn(caps.caller, me, action, t.identity_id, directory.byId.get(t.identity_id));

  return (
    <>
      <PageHead
        title="Tokens"
        lead={
          caps.admin
            ? `Every token of ${business.name}, newest first.`
            : 'Your tokens, newest first.'
        }
        actions={
          <>
            <button type="button" className="button primary" onClick={() => setCreating(true)}>
              <IconPlus />
              New token
            </button>
            {caps.tokensAdmin && (
              <button type="button" className="button danger-outline" onClick={() => setBulk(true)}>
                Bulk revoke
              </button>
            )}
            <Link className="button ghost" to={paths.risky}>
              Risky tokens
            </Link>
          </>
        }
      />
      <Notice>{notice}</Notice>
      <Toolbar label="Find tokens">
        <SearchField
          value={search}
          onChange={setSearch}
          hint="A name, a prefix (lk_ab12) or a holder's email."
        />
        <StatusField value={status} onChange={setStatus} />
        {caps.admin && directory.byId.size > 0 && (
          <HolderField value={holder} onChange={setHolder} directory={directory} me={me} />
        )}
        <SortTokensField value={sort} onChange={setSort} />
      </Toolbar>
      <KeysetList
        query={tokens}
        empty={q || status || holder ? 'No token matches' : 'No tokens yet'}
      >
        {(items) => (
          <TokenTable
            tokens={items}
            holder={(t) => (
              <Holder id={t.identity_id} me={me} who={directory.byId.get(t.identity_id)} />
            )}
            actions={(t) => (
              <>
                {may('revoke', t) && (
                  <button
                    type="button"
                    className="button small danger-outline"
                    onClick={() => setRevoking(t)}
                  >
                    <IconRevoke />
                    Revoke
                  </button>
                )}
                {may('rotate', t) && (
                  <button type="button" className="button small" onClick={() => setRotating(t)}>
                    <IconRotate />
                    Rotate
                  </button>
                )}
              </>
            )}
          />
        )}
      </KeysetList>

      {creating && (
        <CreateTokenDialog machines={directory.machines} onClose={() => setCreating(false)} />
      )}
      {revoking && (
        <RevokeDialog
          what={`“${revoking.name}”`}
          revoke={(reason) => revoke.mutateAsync({ id: revoking.id, reason })}
          onClose={() => setRevoking(null)}
          onDone={setNotice}
        />
      )}
      {rotating && <RotateDialog token={rotating} onClose={() => setRotating(null)} />}
      {bulk && (
        <BulkRevokeDialog directory={directory} onClose={() => setBulk(false)} onDone={setNotice} />
      )}
    </>
  );
}
