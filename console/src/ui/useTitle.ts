import { useEffect } from 'react';

/** The document title of a screen: "<screen> · Latchkey console". */
export function useTitle(screen: string): void {
  useEffect(() => {
    document.title = `${screen} · Latchkey console`;
  }, [screen]);
}
