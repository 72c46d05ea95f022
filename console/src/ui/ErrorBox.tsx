import { asApiError } from '../api/errors';

/** An API error as the API gave it: its message, its code and its request id. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (error === null || error === undefined) return null;
  const e = asApiError(error);
  const items = Array.isArray(e.detail) ? e.detail : [];
  return (
    <div className="error-box" role="alert">
      <p className="error-title">
        {title ? `${title}: ` : ''}
        {e.message}
      </p>
      {items.length > 0 && (
        <ul className="error-detail">
          {items.map((d, i) => (
            <li key={i}>
              <code>{d.loc.join('.')}</code>: {d.msg}
            </li>
          ))}
        </ul>
      )}
      <dl className="error-meta">
        {e.status > 0 && (
          <div>
            <dt>Status</dt>
            <dd>{e.status}</dd>
          </div>
        )}
        <div>
          <dt>Code</dt>
          <dd>
            <code>{e.code ?? 'none'}</code>
          </dd>
        </div>
        <div>
          <dt>Request id</dt>
          <dd>
            <code className="wrap">{e.requestId ?? 'none'}</code>
          </dd>
        </div>
      </dl>
    </div>
  );
}
