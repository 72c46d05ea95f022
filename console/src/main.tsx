import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, asApiError } from './api/errors';
import { App, UNAUTHORIZED_EVENT } from './App';
import './styles.css';

/** A 401 anywhere means the token is no good any more: the app signs out and says why. */
function onError(error: unknown): void {
  if (error instanceof ApiError && error.status === 401) {
    window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT, { detail: error }));
  }
}

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError }),
  defaultOptions: {
    queries: {
      // Retry once what may pass (the network, a 5xx), never what the API refused.
      retry: (count, error) => {
        const { status } = asApiError(error);
        return count < 1 && (status === 0 || status >= 500);
      },
      refetchOnWindowFocus: false,
      staleTime: 5_000,
    },
  },
});

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
