import { widthClass, type WidthRule } from '../backend/wasm-kernels/kernel-paths.js';

/**
 * Widths at which a layer is timed: `count` samples of its seed width, evenly spaced fractions up
 * to the seed's own width, plus 150% (expand grows some layers past the seed). One sample is the
 * seed's width alone. Rounded to whole channels, at least 1, without repeats.
 */
export function sampleWidths(seedWidth: number, count: number): number[] {
  const fractions = count <= 1 ? [1] : [...Array.from({ length: count - 1 }, (_, i) => (i + 1) / (count - 1)), 1.5];
  return [...new Set(fractions.map((f) => Math.max(1, Math.round(seedWidth * f))))].sort((a, b) => a - b);
}

/** The width of a class nearest to `target` within [1, max] (ties: the narrower); none when the class has no width there. */
function nearestOfClass(rule: WidthRule, name: string, target: number, max: number, otherWidth: number | undefined): number | undefined {
  for (let distance = 0; distance < max; distance++) {
    for (const width of [target - distance, target + distance]) {
      if (width >= 1 && width <= max && widthClass(rule, width, otherWidth).name === name) return width;
    }
  }
  return undefined;
}

/**
 * `samples` plus one width of each kernel-path class (`widthClass`, the other axis at
 * `otherWidth` when it is fixed) that a width in [1, largest sample] can fall in but no sample
 * does, so every class a shrink or an expand can reach is timed at least once: the class's width
 * nearest to each sample, and of those the middle one (the lower of two), at a width the other
 * samples bracket. Without a rule: `samples`.
 */
export function widthsForClasses(samples: number[], rule: WidthRule | undefined, otherWidth?: number): number[] {
  if (!rule || samples.length <= 1) return samples;
  const max = Math.max(...samples);
  const sampled = new Set(samples.map((width) => widthClass(rule, width, otherWidth).name));
  const reachable = new Set(Array.from({ length: max }, (_, i) => widthClass(rule, i + 1, otherWidth).name));
  const added = [...reachable]
    .filter((name) => !sampled.has(name))
    .map((name) => {
      const candidates = [...new Set(samples.flatMap((target) => nearestOfClass(rule, name, target, max, otherWidth) ?? []))].sort((a, b) => a - b);
      return candidates[Math.floor((candidates.length - 1) / 2)];
    });
  return [...new Set([...samples, ...added])].sort((a, b) => a - b);
}
