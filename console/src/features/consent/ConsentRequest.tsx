import { useId } from 'react';
import { ErrorBox } from '../../ui/ErrorBox';
import { Badge } from '../../ui/lists/Table';
import { Loading } from '../../ui/Status';
import { Time } from '../../ui/Time';
import {
  useAuthorizationRequest,
  useDecision,
  type AskedConsent,
  type AuthorizationRequest,
} from './consent.api';
import { approvalNeeded, hostOf, httpsUrl, refusalTitle } from './consent-refusals';
import { AskApproval } from './AskApproval';

/** The request, as its client, resource, business and scopes, and the person's Allow or Deny. */
export function ConsentRequest({ asked }: { asked: AskedConsent }) {
  const request = useAuthorizationRequest(asked.request);
  const decision = useDecision(asked.request);
  if (request.isPending) return <Loading>Reading the request…</Loading>;
  if (request.isError)
    return <ErrorBox error={request.error} title={refusalTitle(request.error)} />;
  const r = request.data;
  const name = r.client.client_name ?? r.client.client_id;
  const back = hostOf(r.redirect_uri);
  // Once answered the page is being left: a second click must not post a second decision.
  const answered = decision.isPending || decision.isSuccess;
  // Refused for want of an approver: Allow would be refused again, so the person asks instead.
  const gated = approvalNeeded(decision.error);
  return (
    <>
      <p className="lead">
        <strong className="wrap">{name}</strong> <Badge tone="warn">unverified</Badge> asks to act
        for you in <strong className="wrap">{r.business.name}</strong>.
      </p>
      {r.remembered && (
        <p className="notice">
          You allowed this before: the same app, resource and scopes. It still needs your answer.
        </p>
      )}
      <AppFacts client={r.client} name={name} />
      <AccessFacts request={r} back={back} />
      <div className="actions consent-actions">
        <button
          type="button"
          className="button primary"
          disabled={answered || gated !== null}
          onClick={() => decision.mutate('allow')}
        >
          Allow
        </button>
        <button
          type="button"
          className="button"
          disabled={answered}
          onClick={() => decision.mutate('deny')}
        >
          Deny
        </button>
      </div>
      {answered && <Loading>Returning you to {back}…</Loading>}
      {gated ? (
        <AskApproval request={asked.request} scopes={gated} />
      ) : (
        <ErrorBox error={decision.error} title={refusalTitle(decision.error)} />
      )}
    </>
  );
}

/**
 * Who asks, as its metadata says: the name and website are the client's own words, so they are
 * marked unverified, the website is a link only over https, and no logo is loaded (the CSP
 * allows no image from elsewhere, and a logo would lend the name a trust nobody gave it).
 */
function AppFacts({ client, name }: { client: AuthorizationRequest['client']; name: string }) {
  const heading = useId();
  const site = httpsUrl(client.client_uri);
  return (
    <section className="card" aria-labelledby={heading}>
      <h2 id={heading}>The app</h2>
      <dl className="facts">
        <div>
          <dt>Name</dt>
          <dd>
            <span className="wrap">{name}</span> <Badge tone="warn">unverified</Badge>
          </dd>
        </div>
        <div>
          <dt>Client ID</dt>
          <dd>
            <code className="wrap">{client.client_id}</code>
          </dd>
        </div>
        {client.client_uri && (
          <div>
            <dt>Website</dt>
            <dd>
              {site ? (
                <a href={site} className="wrap" target="_blank" rel="noopener noreferrer">
                  {site}
                </a>
              ) : (
                <span className="wrap">{client.client_uri}</span>
              )}
            </dd>
          </div>
        )}
      </dl>
      <p className="hint">
        {client.kind === 'metadata_document'
          ? 'Its name and website come from the document at its client ID; Latchkey checked neither.'
          : 'It registered itself with this server, and named itself; Latchkey checked neither.'}
      </p>
    </section>
  );
}

/** What it may do, where, and where the browser goes once the person answers. */
function AccessFacts({ request: r, back }: { request: AuthorizationRequest; back: string }) {
  const heading = useId();
  return (
    <section className="card" aria-labelledby={heading}>
      <h2 id={heading}>What it may do</h2>
      <ul className="scope-list" aria-label="Scopes">
        {r.scopes.map((s) => (
          <li key={s.name}>
            <code>{s.name}</code>
            <span>{s.description}</span>
          </li>
        ))}
      </ul>
      <dl className="facts">
        <div>
          <dt>Resource</dt>
          <dd>
            <span className="wrap">{r.resource.name}</span>
            <br />
            <code className="wrap">{r.resource.uri}</code>
          </dd>
        </div>
        <div>
          <dt>Business</dt>
          <dd className="wrap">{r.business.name}</dd>
        </div>
        <div>
          <dt>Returns to</dt>
          <dd>
            <code className="wrap">{back}</code>
          </dd>
        </div>
        <div>
          <dt>Answer before</dt>
          <dd>
            <Time iso={r.expires_at} />
          </dd>
        </div>
      </dl>
    </section>
  );
}
