import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/stages/report-html.js';
import type { Report } from '../../src/stages/report.js';
import { tempDir } from './cli.js';

const CHROMIUM = '/usr/bin/chromium';

/** A report as a finished run writes it (numbers picked so each chart shows them). */
const REPORT: Report = {
  format: 'morphnet.report/1',
  runDir: 'runs/example',
  model: 'zoo:cnn',
  backend: 'wasm',
  stages: [
    { name: 'seed', status: 'complete', cost: { flops: 14.9e6, params: 94186 } },
    { name: 'shrink', status: 'complete', cost: { flops: 7.0e6, params: 52000 }, valAccuracy: 0.91 },
    { name: 'expand', status: 'complete', cost: { flops: 7.4e6, params: 55000 }, multiplier: 1.05 },
    { name: 'retrain', status: 'complete', cost: { flops: 7.4e6, params: 55000 }, valAccuracy: 0.95, testAccuracy: 0.948 },
    { name: 'baseline', status: 'complete', cost: { flops: 7.45e6, params: 47000 }, valAccuracy: 0.94, testAccuracy: 0.937 },
  ],
  layers: [
    { name: 'conv1', className: 'Conv2D', seed: 32, shrunk: 22, expanded: 23, seedFlopsShare: 0.03, expandedFlopsShare: 0.05 },
    { name: 'conv2', className: 'Conv2D', seed: 64, shrunk: 35, expanded: 37, seedFlopsShare: 0.485, expandedFlopsShare: 0.5 },
    { name: 'conv3', className: 'Conv2D', seed: 128, shrunk: 128, expanded: 128, seedFlopsShare: 0.485, expandedFlopsShare: 0.45 },
  ],
  shrinkCurve: Array.from({ length: 50 }, (_, i) => ({ step: i + 1, loss: 2 / (1 + i / 5), taskLoss: 1.5 / (1 + i / 5), cost: 14.9e6 * (1 - i / 100), alive: 224 - i })),
};

describe('the HTML report', () => {
  it.runIf(existsSync(CHROMIUM) || process.env.CI)('opens in headless Chromium without console errors and draws the run\'s data', async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtmlReport(REPORT));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
      const problems: string[] = [];
      page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('request', (request) => !request.url().startsWith('file:') && problems.push(`network request ${request.url()}`));
      await page.goto(`file://${file}`);
      // One bar per layer per series, one point per stage with an accuracy, one line per curve.
      expect(await page.locator('#widths rect.bar-seed').count()).toBe(3);
      expect(await page.locator('#widths rect.bar-expanded').count()).toBe(3);
      expect(await page.locator('#accuracy circle').count()).toBe(3);
      for (const id of ['loss', 'cost', 'alive']) expect(await page.locator(`#${id} path`).count()).toBe(1);
      expect(await page.textContent('body')).toContain('retrain 94.8%');
      await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
      expect(existsSync(join(dir, 'report.png'))).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
