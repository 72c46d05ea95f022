import { useQuery } from '@tanstack/react-query';
import { rawJson } from './api/client';
import { ErrorBox } from './ui/ErrorBox';
import { Loading } from './ui/Status';
import { Link, paths } from './router';
import { useSession } from './session';
import { useTitle } from './ui/useTitle';

export function NotFound() {
  useTitle('Not found');
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to={paths.home}>Go to the overview</Link>.
      </p>
    </>
  );
}

/**
 * A screen the role or the token's scopes do not allow. The console still asks the API for what
 * the screen would show (`probe`, a GET of its list) and shows the API's own refusal, its message,
 * code and request id, so what a person sees is what the API decided. Should the API answer with
 * data after all, none of it is shown.
 */
export function NotAvailable({ probe }: { probe?: string }) {
  useTitle('Not available');
  const { token, business, caps } = useSession();
  const role = business?.role ?? (caps.platform ? 'platform admin' : 'none');
  const refusal = useQuery({
    queryKey: ['refusal', probe, business?.id ?? null],
    queryFn: () => rawJson<unknown>(probe!, { token, businessId: business?.id }),
    enabled: probe !== undefined,
    retry: false,
  });
  return (
    <>
      <h1>Not available</h1>
      {refusal.isLoading && <Loading>Asking the API…</Loading>}
      {refusal.isError ? (
        <ErrorBox error={refusal.error} title="The API refused this screen" />
      ) : (
        !refusal.isLoading && (
          <div className="error-box" role="alert">
            <p className="error-title">This screen is not available to you.</p>
            <p>Your role ({role}) or your token's scopes do not allow it.</p>
          </div>
        )
      )}
      <p>
        <Link to={paths.home}>Go to the overview</Link>
      </p>
    </>
  );
}

export function NoBusiness() {
  useTitle('Open a business');
  const { caps } = useSession();
  return (
    <>
      <h1>Open a business first</h1>
      {caps.platform ? (
        <p>
          A platform token can act in any business. Open one from{' '}
          <Link to={paths.businesses}>Businesses</Link> or the <Link to={paths.home}>overview</Link>
          .
        </p>
      ) : (
        <p>This token belongs to no business.</p>
      )}
    </>
  );
}
