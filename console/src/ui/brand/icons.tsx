import type { ReactNode } from 'react';

/**
 * The console's icons: inline SVG paths on a 24-unit grid, stroked in currentColor, so an icon
 * takes its button's colour and needs no font and no fetch (the CSP allows neither). Each is
 * decorative (aria-hidden): the button's text names the action.
 */
function Icon({ children }: { children: ReactNode }) {
  return (
    <svg
      className="icon"
      viewBox="0 0 24 24"
      aria-hidden="true"
      focusable="false"
      fill="none"
      stroke="currentColor"
      strokeWidth={2}
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      {children}
    </svg>
  );
}

/** New token, New machine identity, New endpoint, New stream. */
export const IconPlus = () => (
  <Icon>
    <path d="M12 5v14M5 12h14" />
  </Icon>
);

export const IconRotate = () => (
  <Icon>
    <path d="M20 11a8 8 0 0 0-14.6-4.5L4 8M4 3v5h5M4 13a8 8 0 0 0 14.6 4.5L20 16m0 5v-5h-5" />
  </Icon>
);

/** Revoke: a circle struck through. */
export const IconRevoke = () => (
  <Icon>
    <circle cx="12" cy="12" r="9" />
    <path d="m5.6 5.6 12.8 12.8" />
  </Icon>
);

export const IconAddMember = () => (
  <Icon>
    <circle cx="9" cy="8" r="4" />
    <path d="M2 21a7 7 0 0 1 14 0M19 8v6m-3-3h6" />
  </Icon>
);

export const IconExport = () => (
  <Icon>
    <path d="M12 3v12m-5-5 5 5 5-5M4 19h16" />
  </Icon>
);

/** Verify chain: a shield with a tick. */
export const IconVerify = () => (
  <Icon>
    <path d="M12 3 4 6v6c0 5 3.4 8.4 8 9 4.6-.6 8-4 8-9V6z" />
    <path d="m8.5 12 2.5 2.5 4.5-5" />
  </Icon>
);

export const IconSignOut = () => (
  <Icon>
    <path d="M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10" />
  </Icon>
);

export const IconMenu = () => (
  <Icon>
    <path d="M4 6h16M4 12h16M4 18h16" />
  </Icon>
);

export const IconClose = () => (
  <Icon>
    <path d="M6 6l12 12M18 6 6 18" />
  </Icon>
);
