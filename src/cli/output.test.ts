import { describe, expect, it } from 'vitest';
import { validationText } from './output.js';

describe('validationText', () => {
  it('shows a measured accuracy in percent with two decimals', () => {
    // 0.9125 of the validation set: 91.25%.
    expect(validationText(0.9125)).toBe('val acc 91.25%');
    expect(validationText(0)).toBe('val acc 0.00%');
  });

  it('says there is no validation set instead of NaN% when none was measured', () => {
    expect(validationText(undefined)).toBe('no validation set');
    expect(validationText(NaN)).toBe('no validation set');
  });
});
