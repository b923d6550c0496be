// The windowing of the list and the overview: where each item starts, which item is at a
// height, and which part of an element the window shows.

/** Running offsets: `offsets[i]` is where item i starts; the last entry is the total height. */
export function offsetsOf(heights: number[]): number[] {
  const at = [0];
  for (const h of heights) at.push(at[at.length - 1] + h);
  return at;
}

/** The index of the item that covers height `y` (the count when `y` is past the end). */
export function indexAt(offsets: number[], y: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid + 1] <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Follows which part of `element` is in the window (its top, scrolled past, and the window's
 * height) as the window scrolls and resizes; returns the cleanup, for an `$effect`.
 */
export function followView(element: () => HTMLElement | undefined, seen: (top: number, height: number) => void): () => void {
  const measure = () => {
    const el = element();
    if (el) seen(Math.max(0, -el.getBoundingClientRect().top), window.innerHeight);
  };
  measure();
  window.addEventListener('scroll', measure, { passive: true });
  window.addEventListener('resize', measure);
  return () => {
    window.removeEventListener('scroll', measure);
    window.removeEventListener('resize', measure);
  };
}
