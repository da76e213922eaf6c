import { describe, expect, it } from 'vitest';
import { progressLine } from './progress.js';

// What shrink shows after each step of a 120-step run of zoo:cnn (384 channels).
const SHRINK_DETAIL = 'loss 2.303 (task 2.301)  cost 14.9M (100%)  alive 384/384';

describe('progressLine', () => {
  it('fits an 80-column terminal without cutting a field: the bar takes what the text leaves', () => {
    const line = progressLine(60, 120, 65, SHRINK_DETAIL, 80);
    // counter "60/120 ETA 1:05" (15) + 2 + detail (57) = 74 characters; 79 - 74 - 1 space = a 4-character bar, under 5: left out.
    expect(line).toBe(`60/120 ETA 1:05  ${SHRINK_DETAIL}`);
    expect(line.length).toBeLessThanOrEqual(79);
  });

  it('draws the full 24-character bar when there is room, filled in proportion to the steps', () => {
    // 60 of 120 steps: 12 of 24 cells.
    expect(progressLine(60, 120, 65, SHRINK_DETAIL, 120)).toBe(`${'█'.repeat(12)}${'░'.repeat(12)} 60/120 ETA 1:05  ${SHRINK_DETAIL}`);
  });

  it('gives the bar the width left between 5 and 24', () => {
    // 79 + 10 columns: 89 - 1 - 74 - 1 = 13 cells, 6.5 of them filled, rounded to 7.
    expect(progressLine(60, 120, 65, SHRINK_DETAIL, 89)).toBe(`${'█'.repeat(7)}${'░'.repeat(6)} 60/120 ETA 1:05  ${SHRINK_DETAIL}`);
  });

  it('on a narrower terminal drops whole fields from the end, never part of one', () => {
    // 60 columns hold 59 characters: 15 + 2 + 23 (loss) + 2 + 17 (cost) = 59, without alive (+ 2 + 13).
    expect(progressLine(60, 120, 65, SHRINK_DETAIL, 60)).toBe('60/120 ETA 1:05  loss 2.303 (task 2.301)  cost 14.9M (100%)');
    // 30 columns: no field fits beside the counter; the bar gets 29 - 15 - 1 = 13 cells, 6.5 filled, rounded to 7.
    expect(progressLine(60, 120, 65, SHRINK_DETAIL, 30)).toBe(`${'█'.repeat(7)}${'░'.repeat(6)} 60/120 ETA 1:05`);
  });
});
