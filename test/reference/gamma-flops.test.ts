import { beforeAll, describe, expect, it } from 'vitest';
import { compareWithReference, type StepComparison } from '../../bench/reference/step-comparison.js';
import { mnistBatches, seedCnn, TEST_REGIME } from '../../bench/reference/step-setup.js';
import { torchMissing } from '../../bench/reference/torch-reference.js';
import { initBackend } from '../../src/backend/select.js';

/**
 * The shrink is MorphNet, step by step: zoo:cnn trained with task loss + lambda * R by this
 * project (trainStep, NetworkRegularizer, the momentum optimizer, on the wasm backend) and by an
 * independent PyTorch implementation of MorphNet's GammaFlopsRegularizer
 * (bench/reference/gamma_flops.py), from the same weights on the same 50 batches of 16 MNIST digits.
 *
 * zoo:cnn, 28x28x1: conv1 3x3/1 32 -> BN -> ReLU -> conv2 3x3/2 64 -> BN -> ReLU -> conv3 3x3/2 128
 * -> BN -> ReLU -> global pool -> dense 10. FLOP coefficients C = 2 * H_out * W_out * 3 * 3:
 * conv1 2*28*28*9 = 14112, conv2 2*14*14*9 = 3528, conv3 2*7*7*9 = 882, dense 2.
 *
 * The regime (TEST_REGIME: learning rate 0.01, lambda 2e-7, threshold 0.01, momentum 0.9) is
 * reproducible in float32: a float64 run of the reference stays within 1e-5 of both float32 runs.
 * (At learning rate 0.05 and lambda 5e-7 even PyTorch float32 and float64 part by 1% within 50
 * steps: `npm run bench -- reference --steps`.) The first four gammas of each BN start at 0.02,
 * 0.04, 0.06, 0.08, so channels die (and some come back) and the alive counts A change under way.
 */
const TOLERANCE = 1e-4;
const { lambda } = TEST_REGIME.hyperparameters;

beforeAll(async () => {
  await initBackend('wasm');
});

const describeWorst = (comparison: StepComparison) => JSON.stringify(comparison.differences, null, 1);

describe('the gamma FLOP regularizer against an independent PyTorch implementation', () => {
  it('agrees on the task loss, lambda * R, the alive channels and every gamma for 50 steps of momentum SGD', async () => {
    const missing = torchMissing();
    if (missing) throw new Error(`this test compares against PyTorch and cannot run: ${missing} (.ci/run installs it)`);
    const { x, labels } = mnistBatches(TEST_REGIME.steps, TEST_REGIME.hyperparameters.batchSize);
    const comparison = await compareWithReference(seedCnn(TEST_REGIME.smallGammas), x, labels, TEST_REGIME.hyperparameters);
    const { ours, reference, differences } = comparison;
    expect(ours).toHaveLength(50);
    expect(reference).toHaveLength(50);

    // Step 0, by hand. The seed's FLOPs: 14112*1*32 + 3528*32*64 + 882*64*128 + 2*128*10.
    const seedFlops = 14112 * 32 + 3528 * 32 * 64 + 882 * 64 * 128 + 2 * 128 * 10;
    expect(seedFlops).toBe(14_904_832);
    expect(ours[0].cost).toBe(seedFlops);
    expect(reference[0].cost).toBe(seedFlops);
    // Soft counts S = sum |gamma|: 28 ones + 0.02 + 0.04 + 0.06 + 0.08 = 28.2, then 60.2 and 124.2; all alive.
    // R = C1*(1*S1) + C2*(32*S2 + 64*S1) + C3*(64*S3 + 128*S2) + 2*(10*S3)
    const [s1, s2, s3] = [28.2, 60.2, 124.2];
    const r0 = 14112 * s1 + 3528 * (32 * s2 + 64 * s1) + 882 * (64 * s3 + 128 * s2) + 2 * 10 * s3;
    expect(r0).toBeCloseTo(27_371_296.8, 1);
    expect(ours[0].regLoss).toBeCloseTo(lambda * r0, 5);
    expect(reference[0].regLoss).toBeCloseTo(lambda * r0, 5);

    // Every step: the same alive channels (the A terms) and FLOPs, and the same numbers to 1e-4.
    expect(differences.aliveMismatches, describeWorst(comparison)).toEqual([]);
    for (const [step, record] of ours.entries()) expect(record.cost, `FLOPs at step ${step}`).toBe(reference[step].cost);
    expect(differences.taskLoss.relative, describeWorst(comparison)).toBeLessThan(TOLERANCE);
    expect(differences.regLoss.relative, describeWorst(comparison)).toBeLessThan(TOLERANCE);
    expect(differences.gamma.relative, describeWorst(comparison)).toBeLessThan(TOLERANCE);

    // The run exercised what it claims: channels died in every layer, so A changed under way.
    const last = ours.at(-1)!.alive;
    expect(last.conv1).toBeLessThan(32);
    expect(last.conv2).toBeLessThan(64);
    expect(last.conv3).toBeLessThan(128);
  }, 600_000);
});
