import { useState } from 'react';
import { useBusiness } from '../../session';
import { ConfirmDialog } from '../../ui/dialogs/ConfirmDialog';
import { DataTable } from '../../ui/lists/DataTable';
import { KeysetList } from '../../ui/lists/List';
import { Badge, Id } from '../../ui/lists/Table';
import { Clip } from '../../ui/names/Clip';
import { PageHead } from '../../ui/PageHead';
import { revokedLine } from '../../ui/revoked-line';
import { Notice } from '../../ui/Status';
import { Time } from '../../ui/Time';
import { AppRequests } from './AppRequests';
import './connected-apps.css';
import { appName, useConnectedApps, useWithdrawApp, type ConnectedApp } from './connected-apps.api';

/** The apps the signed-in person allowed to act for them here, each to withdraw. */
export function ConnectedApps() {
  const { business } = useBusiness();
  const apps = useConnectedApps();
  const [withdrawing, setWithdrawing] = useState<ConnectedApp | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <>
      <PageHead
        title="Connected apps"
        lead={`The apps you allowed to act for you in ${business.name}. Withdrawing one revokes its tokens at once.`}
      />
      <Notice>{notice}</Notice>
      <KeysetList
        query={apps}
        empty="No connected apps. An app you allow to act for you is listed here."
      >
        {(items) => (
          <DataTable
            label="Connected apps"
            rows={items}
            rowKey={(a) => a.id}
            columns={[
              {
                header: 'App',
                primary: true,
                cell: (a) => (
                  <span className="name-stack">
                    <span className="named">
                      <span className="wrap">{appName(a)}</span>
                      <Badge tone="warn">unverified</Badge>
                    </span>
                    <Id>{a.client_id}</Id>
                  </span>
                ),
              },
              { header: 'Resource', cell: (a) => <Clip text={a.resource} /> },
              {
                header: 'Scopes',
                cell: (a) => <span className="wrap">{a.scopes.join(', ')}</span>,
              },
              { header: 'Since', cell: (a) => <Time iso={a.created_at} /> },
              {
                header: 'Actions',
                actions: true,
                cell: (a) => (
                  <button
                    type="button"
                    className="button small danger-outline"
                    onClick={() => setWithdrawing(a)}
                  >
                    Withdraw
                  </button>
                ),
              },
            ]}
          />
        )}
      </KeysetList>
      {withdrawing && (
        <WithdrawDialog app={withdrawing} onClose={() => setWithdrawing(null)} onDone={setNotice} />
      )}
      <AppRequests />
    </>
  );
}

/** Withdraw's confirmation: the app's tokens die at once, and it must ask again to come back. */
function WithdrawDialog({
  app,
  onClose,
  onDone,
}: {
  app: ConnectedApp;
  onClose: () => void;
  onDone: (message: string) => void;
}) {
  const name = appName(app);
  const withdraw = useWithdrawApp((done) => onDone(revokedLine(`Withdrew ${name}`, done)));
  return (
    <ConfirmDialog
      title="Withdraw the app"
      confirm="Withdraw app"
      mutation={withdraw}
      subject={app}
      onClose={onClose}
    >
      <p>
        <strong className="wrap">{name}</strong> (unverified) stops acting for you at{' '}
        <code className="wrap">{app.resource}</code>: its tokens are revoked at once, and it must
        ask you again to come back.
      </p>
    </ConfirmDialog>
  );
}
