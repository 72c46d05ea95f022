import type { AuditEvent } from '../../api/types';
import { Dialog } from '../../ui/dialogs/Dialog';
import { IdToggle } from '../../ui/names/IdToggle';
import { Named } from '../../ui/names/Named';
import { Badge, Id } from '../../ui/lists/Table';
import { Time } from '../../ui/Time';

/** One audit event whole: who, what, where from, its metadata, and its place in the chain. */
export function AuditEventDialog({
  event,
  chain,
  onClose,
}: {
  event: AuditEvent;
  /** The chain's name, on the platform's log, where events of many chains mix. */
  chain?: string;
  onClose: () => void;
}) {
  const e = event;
  return (
    <Dialog title={`${chain ? `${chain} ` : ''}#${e.seq}: ${e.action}`} onClose={onClose}>
      <dl className="facts">
        <div>
          <dt>Occurred</dt>
          <dd>
            <Time iso={e.occurred_at} /> <span className="muted">({e.occurred_at})</span>
          </dd>
        </div>
        <div>
          <dt>Outcome</dt>
          <dd>
            <Badge tone={e.outcome === 'success' ? 'ok' : 'bad'}>{e.outcome}</Badge>
            {e.origin && <span className="muted"> via {e.origin}</span>}
          </dd>
        </div>
        <div>
          <dt>Actor</dt>
          <dd>
            <Named type={e.actor.type} label={e.actor.label} />
            {e.actor.id && (
              <>
                {' '}
                <Id>{e.actor.id}</Id>
              </>
            )}
          </dd>
        </div>
        {e.actor.token_id && (
          <div>
            <dt>With token</dt>
            <dd>
              <Id>{e.actor.token_id}</Id>
              {e.actor.issued_by && (
                <>
                  {' '}
                  issued by <span className="wrap">{e.actor.issued_by.label}</span>
                </>
              )}
            </dd>
          </div>
        )}
        <div>
          <dt>Target</dt>
          <dd>
            <Named type={e.target.type} label={e.target.label} />{' '}
            {e.target.id && <Id>{e.target.id}</Id>}
          </dd>
        </div>
        {e.business_id && (
          <div>
            <dt>Business</dt>
            <dd>
              {chain ? (
                <span className="named">
                  <span className="wrap">{chain}</span>
                  <IdToggle id={e.business_id} of={chain} />
                </span>
              ) : (
                <Id>{e.business_id}</Id>
              )}
            </dd>
          </div>
        )}
        <div>
          <dt>Request</dt>
          <dd>
            <Id>{e.request_id ?? '—'}</Id>
          </dd>
        </div>
        <div>
          <dt>From</dt>
          <dd className="wrap">
            {e.ip ?? '—'}
            {e.user_agent && <span className="muted"> · {e.user_agent}</span>}
          </dd>
        </div>
        <div>
          <dt>Event id</dt>
          <dd>
            <Id>{e.id}</Id>
          </dd>
        </div>
        <div>
          <dt>prev_hash</dt>
          <dd>
            <Id>{e.prev_hash}</Id>
          </dd>
        </div>
        <div>
          <dt>hash</dt>
          <dd>
            <Id>{e.hash}</Id>
          </dd>
        </div>
      </dl>
      <h3>Metadata</h3>
      <pre className="pre">{JSON.stringify(e.metadata, null, 2)}</pre>
    </Dialog>
  );
}
