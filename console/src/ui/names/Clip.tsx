import type { ReactNode } from 'react';

/**
 * A name that may be long (a federated token's, an email, a business's). In a list it keeps one
 * line and is cut with an ellipsis, its title saying the whole of it: it asks its column for no
 * width of its own (styles.css, `.table .clip`), so a long name never widens the table past its
 * frame. Elsewhere it wraps like any text.
 */
export function Clip({ text, children }: { text: string; children?: ReactNode }) {
  return (
    <span className="clip" title={text}>
      <span className="clip-text">{children ?? text}</span>
    </span>
  );
}

/** A value that is one token (an action, a rule's code, a time): never broken over lines. */
export function Token({ children, code = false }: { children: ReactNode; code?: boolean }) {
  return code ? (
    <code className="token" data-token="">
      {children}
    </code>
  ) : (
    <span className="token" data-token="">
      {children}
    </span>
  );
}
