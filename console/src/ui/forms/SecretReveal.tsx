import { useId, useState } from 'react';

/** A secret shown this once: read-only, with Copy, and a warning that it will not come back. */
export function SecretReveal({
  secret,
  heading = 'Copy the secret now',
  onDone,
}: {
  secret: string;
  heading?: string;
  onDone?: () => void;
}) {
  const id = useId();
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  };
  return (
    <div className="secret">
      <p className="secret-heading">{heading}</p>
      <p className="warning" id={`${id}-warn`}>
        This secret is shown only once and will not be shown again. Store it somewhere safe now.
      </p>
      <div className="field">
        <label htmlFor={id}>Secret</label>
        <div className="secret-row">
          <input
            id={id}
            className="input mono"
            type="text"
            readOnly
            value={secret}
            aria-describedby={`${id}-warn`}
            spellCheck={false}
            autoComplete="off"
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" className="button" onClick={() => void copy()}>
            Copy
          </button>
        </div>
      </div>
      <p className="muted" role="status">
        {copied === 'yes' ? 'Copied to the clipboard.' : ''}
        {copied === 'no' ? 'Could not copy: select the field and copy it by hand.' : ''}
      </p>
      {onDone && (
        <button type="button" className="button ghost" onClick={onDone}>
          Done
        </button>
      )}
    </div>
  );
}
