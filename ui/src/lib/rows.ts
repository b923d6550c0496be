// The list's windowing arithmetic: where each item starts, and which item is at a height.

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
