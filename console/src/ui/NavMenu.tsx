import { useEffect, useRef, useState, type RefObject } from 'react';
import { IconClose, IconMenu } from './brand/icons';

/** The id of the navigation the menu button opens. */
export const NAV_ID = 'main-nav';

export interface NavMenu {
  open: boolean;
  toggle: () => void;
  close: () => void;
  button: RefObject<HTMLButtonElement | null>;
  nav: RefObject<HTMLElement | null>;
}

/**
 * The navigation's state on a phone, where it hides behind a menu button (styles.css, at most
 * 640 px; wider, the button is hidden and the navigation always shown). Opening moves the focus
 * to the current (or first) link; Escape closes it and gives the focus back to the button; a
 * link followed closes it and gives the focus to the screen (`#main`).
 */
export function useNavMenu(path: string): NavMenu {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const nav = useRef<HTMLElement>(null);

  // Back or forward while open: the menu closes.
  useEffect(() => setOpen(false), [path]);

  useEffect(() => {
    if (!open) return;
    const links = nav.current?.querySelectorAll<HTMLAnchorElement>('a[href]');
    const current = nav.current?.querySelector<HTMLAnchorElement>('a[aria-current="page"]');
    (current ?? links?.[0])?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setOpen(false);
      button.current?.focus();
    };
    // A link followed (its own screen's included): the menu closes, the screen has the focus.
    const onClick = (e: MouseEvent) => {
      if (!(e.target instanceof Element) || !e.target.closest('a[href]')) return;
      setOpen(false);
      document.getElementById('main')?.focus();
    };
    const menu = nav.current;
    document.addEventListener('keydown', onKey);
    menu?.addEventListener('click', onClick);
    return () => {
      document.removeEventListener('keydown', onKey);
      menu?.removeEventListener('click', onClick);
    };
  }, [open]);

  return { open, toggle: () => setOpen((o) => !o), close: () => setOpen(false), button, nav };
}

/** The button that opens and closes the navigation on a phone. */
export function MenuButton({ menu }: { menu: NavMenu }) {
  return (
    <button
      ref={menu.button}
      type="button"
      className="button small menu-button"
      aria-expanded={menu.open}
      aria-controls={NAV_ID}
      onClick={menu.toggle}
    >
      {menu.open ? <IconClose /> : <IconMenu />}
      Menu
    </button>
  );
}
