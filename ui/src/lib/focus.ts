// Focus for people who use the keyboard: a dialog takes the focus when it opens (its first
// button, the safe one) and gives it back when it closes, to what had it, or, when that is
// gone (the account was removed), to the search box or the app's name. It is never lost to
// the page's body.

const fallback = () =>
  document.querySelector<HTMLElement>('[data-testid="search"]') ?? document.querySelector<HTMLElement>('.brand');

/** When what had the focus went away (a view changed under it), the focus goes to the search
 *  box or the app's name instead of the page's body. */
export function rescue() {
  requestAnimationFrame(() => {
    if (document.activeElement === document.body || document.activeElement === null) fallback()?.focus();
  });
}

/** A Svelte action for a modal dialog's element. */
export function modal(node: HTMLElement) {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  node.querySelector<HTMLElement>('button, input, select, textarea')?.focus();
  return {
    destroy() {
      // After the page behind stops being inert (the same update), so it can take focus.
      requestAnimationFrame(() => {
        const back = opener?.isConnected && !opener.closest('[inert]') ? opener : fallback();
        back?.focus();
        rescue();
      });
    },
  };
}

/** Focuses an element once it is in the page (a form's first field). */
export function autofocus(node: HTMLElement, enabled = true) {
  if (enabled) requestAnimationFrame(() => node.focus());
}
