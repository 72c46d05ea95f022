import { useState } from 'react';
import { useDirectory } from '../../api/directory';
import type { PolicyViolation } from '../../api/types';
import { usePolicyViolations } from '../../api/resources/token-policy.api';
import { useRevokeToken } from '../../api/resources/tokens.api';
import { RevokeDialog } from '../../ui/tokens/RevokeDialog';
import { Token } from '../../ui/names/Clip';
import { IconRevoke } from '../../ui/brand/icons';
import { DataTable } from '../../ui/lists/DataTable';
import { KeysetList } from '../../ui/lists/List';
import { PageHead } from '../../ui/PageHead';
import { Notice } from '../../ui/Status';
import { holderColumn, nameColumn } from '../../ui/tokens/token-columns';
import { mayActOn } from '../../permissions';
import { Link, paths } from '../../router';
import { useBusiness } from '../../session';

/** An ISO time inside a rule's message ("expire it by 2026-12-05T10:00:00.000Z"). */
const ISO_TIME = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)/;

/** A rule's message, each ISO time in it kept on one line. */
function Message({ text }: { text: string }) {
  return (
    <span>
      {text.split(ISO_TIME).map((part, i) => (i % 2 === 1 ? <Token key={i}>{part}</Token> : part))}
    </span>
  );
}

/** Active tokens that break the policy now: listed, never revoked (but for disuse). */
export function PolicyViolations() {
  const { whoami, caps } = useBusiness();
  const directory = useDirectory();
  const violations = usePolicyViolations();
  const revoke = useRevokeToken();
  const [revoking, setRevoking] = useState<PolicyViolation | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const me = whoami.identity.id;
  const may = (action: 'revoke' | 'rename', t: PolicyViolation) =>
    mayActOn(caps.caller, me, action, t.identity_id, directory.byId.get(t.identity_id));
  return (
    <>
      <PageHead
        title="Policy violations"
        crumbs={<Link to={paths.policy}>← Back to the token policy</Link>}
        lead="Active tokens made before the current policy that break it, oldest first. Narrow or revoke them; only disuse revokes one by itself."
      />
      <Notice>{notice}</Notice>
      <KeysetList query={violations} empty="Every active token keeps the policy">
        {(items) => (
          <DataTable
            label="Policy violations"
            rows={items}
            rowKey={(t) => t.id}
            columns={[
              nameColumn(),
              {
                header: 'Breaks',
                cell: (t) => (
                  <ul className="rule-list">
                    {t.violations.map((v) => (
                      <li key={v.rule}>
                        <Token code>{v.rule}</Token>
                        <Message text={v.msg} />
                      </li>
                    ))}
                  </ul>
                ),
              },
              holderColumn(me, directory),
              {
                header: 'Actions',
                actions: true,
                cell: (t) => (
                  <>
                    {may('rename', t) && (
                      <Link to={paths.token(t.id)} className="button small">
                        Narrow
                      </Link>
                    )}
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
                  </>
                ),
              },
            ]}
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
    </>
  );
}
