import { describe, expect, it } from 'vitest';
import { chosenSeatCharge } from '../../domain/seat-pricing';

describe('chosenSeatCharge', () => {
  it('is the seat-map price without a bundled seat', () => {
    expect(chosenSeatCharge(4500, null)).toBe(4500);
    expect(chosenSeatCharge(0, null)).toBe(0);
  });

  it('is nothing for a seat the bundle covers, and the difference for a dearer one', () => {
    expect(chosenSeatCharge(1500, 1500)).toBe(0);
    expect(chosenSeatCharge(1500, 4500)).toBe(0);
    expect(chosenSeatCharge(4500, 1500)).toBe(3000);
  });

  it('refuses a price that is not whole minor units', () => {
    expect(() => chosenSeatCharge(12.5, null)).toThrow(RangeError);
    expect(() => chosenSeatCharge(-1, null)).toThrow(RangeError);
  });
});
