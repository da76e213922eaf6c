import { describe, expect, it } from 'vitest';
import { logGamma, regularizedIncompleteBeta, studentTCdf, studentTQuantile } from './t-distribution.js';

describe('Student t quantile', () => {
  it('matches the published two-sided 95% critical values t(0.975, df)', () => {
    // scipy.stats.t.ppf(0.975, df) to 16 digits.
    const known: Array<[number, number]> = [
      [1, 12.706204736174703],
      [2, 4.302652729749464],
      [5, 2.570581835636314],
      [30, 2.042272456301238],
      [100, 1.983971518523552],
    ];
    for (const [df, t] of known) expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 12);
  });

  it('agrees with the closed forms for 1 and 2 degrees of freedom at other levels', () => {
    for (const p of [0.6, 0.9, 0.995, 0.9995]) {
      // df 1 is the Cauchy distribution: t = tan(pi (p - 1/2)).
      expect(studentTQuantile(p, 1) / Math.tan(Math.PI * (p - 0.5))).toBeCloseTo(1, 11);
      // df 2: t = (2p - 1) / sqrt(2 p (1 - p)).
      expect(studentTQuantile(p, 2) / ((2 * p - 1) / Math.sqrt(2 * p * (1 - p)))).toBeCloseTo(1, 11);
    }
  });

  it('is symmetric about 0 and inverts the CDF', () => {
    expect(studentTQuantile(0.5, 7)).toBe(0);
    expect(studentTQuantile(0.025, 5)).toBeCloseTo(-2.570581835636314, 10);
    for (const df of [1, 3, 9.5, 40]) for (const p of [0.05, 0.3, 0.8, 0.99]) expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 12);
  });

  it('rejects a probability outside (0, 1)', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
    expect(() => studentTQuantile(0.9, 0)).toThrow(RangeError);
  });
});

describe('the functions under it', () => {
  it('log Gamma of integers and halves', () => {
    // Gamma(5) = 4! = 24; Gamma(1/2) = sqrt(pi); Gamma(51) = 50!.
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    const log50Factorial = Array.from({ length: 50 }, (_, i) => Math.log(i + 1)).reduce((a, b) => a + b, 0);
    expect(logGamma(51)).toBeCloseTo(log50Factorial, 10);
  });

  it('the regularized incomplete beta in closed-form cases', () => {
    // I_x(1, 1) = x; I_x(2, 1) = x^2; I_x(1, b) = 1 - (1 - x)^b; I_x(1/2, 1/2) = (2 / pi) asin(sqrt x).
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    expect(regularizedIncompleteBeta(0.7, 2, 1)).toBeCloseTo(0.49, 14);
    expect(regularizedIncompleteBeta(0.2, 1, 3)).toBeCloseTo(1 - 0.8 ** 3, 14);
    expect(regularizedIncompleteBeta(0.9, 0.5, 0.5)).toBeCloseTo((2 / Math.PI) * Math.asin(Math.sqrt(0.9)), 13);
  });
});
