import { describe, expect, it } from 'vitest';
import { indexAt, offsetsOf } from './rows';

describe('offsetsOf and indexAt', () => {
  const offsets = offsetsOf([40, 66, 40, 40]); // the second item has an error line
  it('accumulate heights', () => {
    expect(offsets).toEqual([0, 40, 106, 146, 186]);
  });
  it('find the item at a height', () => {
    expect(indexAt(offsets, 0)).toBe(0);
    expect(indexAt(offsets, 39)).toBe(0);
    expect(indexAt(offsets, 40)).toBe(1);
    expect(indexAt(offsets, 105)).toBe(1);
    expect(indexAt(offsets, 150)).toBe(3);
    expect(indexAt(offsets, 10_000)).toBe(4);
    expect(indexAt([0], 5)).toBe(0);
  });
});
