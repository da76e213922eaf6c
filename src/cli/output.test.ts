import { describe, expect, it } from 'vitest';
import { removedNotice, validationText } from './output.js';

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

describe('removedNotice', () => {
  it('names every removed path, in one line, with the stage that removed them', () => {
    expect(removedNotice('expand', ['runs/a/retrain', 'runs/a/export/retrain.keras', 'runs/a/report.json'])).toBe(
      'expand: removed 3 results made from the previous expand (they no longer match): runs/a/retrain, runs/a/export/retrain.keras, runs/a/report.json',
    );
    expect(removedNotice('retrain', ['runs/a/report.json'])).toBe('retrain: removed 1 result made from the previous retrain (it no longer matches): runs/a/report.json');
  });
});
