import { useState } from 'react';
import { useDirectory } from '../../api/directory';
import {
  useEnableToken,
  useRevokeToken,
  useToken,
  useTokenUsage,
} from '../../api/resources/tokens.api';
import { DisableDialog } from './dialogs/DisableDialog';
import { EditTokenDialog } from './dialogs/EditTokenDialog';
import { ErrorBox } from '../../ui/ErrorBox';
import { Holder } from '../../ui/names/Holder';
import { UUID } from '../../ui/hooks';
import { RevokeDialog } from '../../ui/tokens/RevokeDialog';
import { RotateDialog } from './dialogs/RotateDialog';
import { Empty, Loading, Notice } from '../../ui/Status';
import { TableWrap } from '../../ui/lists/Table';
import { Time } from '../../ui/Time';
import { TokenFacts } from '../../ui/tokens/TokenFacts';
import { UsageChart } from '../../ui/tokens/UsageChart';
import { TokenVerifications } from './TokenVerifications';
import { useTitle } from '../../ui/useTitle';
import { Link, paths } from '../../router';
import { mayActOn } from '../../permissions';
import { stateOffers, type TokenStateAction } from '../../ui/tokens/token-state';
import { useBusiness } from '../../session';
import { IconRevoke, IconRotate } from '../../ui/brand/icons';

function Usage({ id }: { id: string }) {
  const usage = useTokenUsage(id);
  return (
    <>
      <section className="card" aria-labelledby="usage">
        <h2 id="usage">Requests per hour, last 24 hours</h2>
        {usage.isPending && <Loading />}
        <ErrorBox error={usage.error} />
        {usage.data && <UsageChart usage={usage.data} />}
      </section>
      <TokenVerifications id={id} />
      <section className="card" aria-labelledby="ips">
        <h2 id="ips">Recent client addresses</h2>
        {usage.isPending && <Loading />}
        {usage.data && usage.data.recent_ips.length === 0 && <Empty>No addresses seen yet</Empty>}
        {usage.data && usage.data.recent_ips.length > 0 && (
          <TableWrap label="Client addresses">
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {usage.data.recent_ips.map((ip) => (
                <tr key={ip.ip}>
                  <td>
                    <code className="id">{ip.ip}</code>
                  </td>
                  <td>
                    <Time iso={ip.last_seen_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </TableWrap>
        )}
      </section>
    </>
  );
}

export function TokenDetail({ id }: { id: string }) {
  const { business, caps, whoami } = useBusiness();
  const directory = useDirectory();
  const revoke = useRevokeToken();
  const enable = useEnableToken();
  const [open, setOpen] = useState<'revoke' | 'rotate' | 'disable' | 'edit' | null>(null);
  const close = () => setOpen(null);
  const [notice, setNotice] = useState<string | null>(null);
  const valid = UUID.test(id);
  const token = useToken(id, valid);
  const t = token.data;
  useTitle(t ? `Token ${t.name}` : 'Token');
  // What the token's state leaves open (token-state.ts), where the token policy allows it.
  const may = (action: TokenStateAction) =>
    t !== undefined &&
    stateOffers(t, action) &&
    mayActOn(
      caps.caller,
      whoami.identity.id,
      action,
      t.identity_id,
      directory.byId.get(t.identity_id),
    );

  return (
    <>
      <p className="crumbs">
        <Link to={paths.tokens}>← Back to tokens</Link>
      </p>
      <h1>{t ? `Token “${t.name}”` : 'Token'}</h1>
      {!valid && <Empty>This is not a token id.</Empty>}
      {valid && token.isPending && <Loading />}
      <ErrorBox error={token.error} />
      <Notice>{notice}</Notice>
      <ErrorBox error={enable.error} title="Not enabled" />
      {t && (
        <>
          <section className="card" aria-labelledby="details">
            <div className="section-head">
              <h2 id="details">Details</h2>
              <div className="row-actions">
                {may('revoke') && (
                  <button
                    type="button"
                    className="button danger-outline"
                    onClick={() => setOpen('revoke')}
                  >
                    <IconRevoke />
                    Revoke
                  </button>
                )}
                {may('disable') && (
                  <button
                    type="button"
                    className="button danger-outline"
                    onClick={() => setOpen('disable')}
                  >
                    Disable
                  </button>
                )}
                {may('enable') && (
                  <button
                    type="button"
                    className="button"
                    disabled={enable.isPending}
                    onClick={() =>
                      enable.mutate(t.id, { onSuccess: () => setNotice(`Enabled “${t.name}”.`) })
                    }
                  >
                    Enable
                  </button>
                )}
                {may('rename') && (
                  <button type="button" className="button" onClick={() => setOpen('edit')}>
                    Edit
                  </button>
                )}
                {may('rotate') && (
                  <button type="button" className="button" onClick={() => setOpen('rotate')}>
                    <IconRotate />
                    Rotate
                  </button>
                )}
              </div>
            </div>
            <TokenFacts
              token={t}
              holder={
                <Holder
                  id={t.identity_id}
                  me={whoami.identity.id}
                  who={directory.byId.get(t.identity_id)}
                />
              }
              business={<span className="wrap">{business.name}</span>}
            >
              {t.status_list && (
                <div>
                  <dt>Status list</dt>
                  <dd>
                    entry {t.status_list.idx} of its business’s{' '}
                    <a href={t.status_list.uri} target="_blank" rel="noreferrer">
                      status list
                    </a>
                    , which relying parties check offline
                  </dd>
                </div>
              )}
            </TokenFacts>
          </section>
          <Usage id={t.id} />
          {open === 'revoke' && (
            <RevokeDialog
              what={`“${t.name}”`}
              revoke={(reason) => revoke.mutateAsync({ id: t.id, reason })}
              onClose={close}
              onDone={setNotice}
            />
          )}
          {open === 'disable' && <DisableDialog token={t} onClose={close} onDone={setNotice} />}
          {open === 'edit' && <EditTokenDialog token={t} onClose={close} onDone={setNotice} />}
          {open === 'rotate' && <RotateDialog token={t} onClose={close} />}
        </>
      )}
    </>
  );
}
