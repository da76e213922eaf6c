import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/select.js';
import { countModel } from '../../src/cost/count-model.js';
import { handlerFor } from '../../src/graph/handlers/registry.js';
import { loadModel } from '../../src/model/load.js';
import { renderHtmlReport } from '../../src/stages/report-html.js';
import type { Report, ReportLayer, ReportStage } from '../../src/stages/report.js';
import { SHARED_MODELS, tempDir } from './cli.js';

const CHROMIUM = '/usr/bin/chromium';
const VIEWPORT = { width: 1280, height: 900 };
const TEACHABLE_MACHINE = join(SHARED_MODELS, 'teachable-machine-mobilenetv2/model.json');

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
  comparison: { morphnetAccuracy: 0.948, baselineAccuracy: 0.937, metric: 'test', flops: { morphnet: 7.4e6, baseline: 7.45e6 } },
  shrinkCurve: Array.from({ length: 50 }, (_, i) => ({ step: i + 1, loss: 2 / (1 + i / 5), taskLoss: 1.5 / (1 + i / 5), cost: 14.9e6 * (1 - i / 100), alive: 224 - i })),
};

/**
 * 150 layers whose seed widths span 3 to 1280 channels (MobileNet-like), some removed (0),
 * some cut to 1 channel, some grown past the seed by the expand multiplier 1.38.
 */
function manyLayers(count: number): ReportLayer[] {
  const seedWidths = [3, 16, 32, 96, 144, 576, 1280];
  const kinds = ['expand', 'depthwise', 'project'];
  return Array.from({ length: count }, (_, i) => {
    const seed = seedWidths[i % seedWidths.length];
    const kept = ((i * 0.618) % 1) * 0.9 + 0.1;
    const shrunk = i % 25 === 7 ? 0 : i % 25 === 8 ? 1 : Math.max(1, Math.round(seed * kept));
    return { name: `block_${Math.floor(i / 3)}_${kinds[i % 3]}`, className: i % 3 === 1 ? 'DepthwiseConv2D' : 'Conv2D', seed, shrunk, expanded: Math.round(shrunk * 1.38), seedFlopsShare: 1 / count, expandedFlopsShare: 1 / count };
  });
}

const FAILED_BASELINE = { name: 'baseline', status: 'failed', cost: { flops: 152e6, params: 2.1e6 }, error: 'out of memory while allocating a [64,112,112,96] tensor' } as ReportStage;

const LARGE_REPORT: Report = {
  format: 'morphnet.report/1',
  runDir: 'runs/mobilenet',
  model: 'models/mobilenet/model.json',
  backend: 'tensorflow',
  stages: [
    { name: 'seed', status: 'complete', cost: { flops: 300e6, params: 3.5e6 } },
    { name: 'shrink', status: 'complete', cost: { flops: 120e6, params: 1.4e6 }, valAccuracy: 0.655 },
    { name: 'expand', status: 'complete', cost: { flops: 150e6, params: 2.0e6 }, multiplier: 1.38 },
    { name: 'retrain', status: 'complete', cost: { flops: 150e6, params: 2.0e6 }, valAccuracy: 0.72, testAccuracy: 0.712 },
    { name: 'baseline', status: 'complete', cost: { flops: 152e6, params: 2.1e6 }, valAccuracy: 0.70, testAccuracy: 0.6985 },
  ],
  layers: manyLayers(150),
  comparison: { morphnetAccuracy: 0.712, baselineAccuracy: 0.6985, metric: 'test', flops: { morphnet: 150e6, baseline: 152e6 } },
  shrinkCurve: Array.from({ length: 200 }, (_, i) => ({ step: i + 1, loss: 3 / (1 + i / 20), taskLoss: 2 / (1 + i / 20), cost: 300e6 - i * 0.9e6, alive: 30000 - 90 * i })),
  warnings: ['shrink/metrics.jsonl:201: ignored the last line, torn by a crash'],
};

let browser: Browser;
const openPages: Page[] = [];

/** The page as a person's browser shows it: 1280 px wide, no scripts run, no network. */
async function open(report: Report, name: string): Promise<{ page: Page; problems: string[]; dir: string }> {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.html`);
  writeFileSync(file, renderHtmlReport(report));
  const page = await browser.newPage({ viewport: VIEWPORT });
  openPages.push(page);
  const problems: string[] = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => !request.url().startsWith('file:') && problems.push(`network request ${request.url()}`));
  await page.goto(`file://${file}`);
  return { page, problems, dir };
}

const tickLabels = (page: Page, selector: string) => page.locator(selector).allTextContents();
const visibleText = async (page: Page, selector: string) => (await page.locator(selector).innerText()).replace(/\s+/g, ' ');

/**
 * What "reads at a glance" means for the widths, checked in the rendered page: nothing wider
 * than the window, one table row per layer, each row at least a line of text tall, every width
 * above zero a bar at least 2 px long and 4 px thick, bars proportional to the seed width.
 */
async function expectWidthsReadable(page: Page, layers: ReportLayer[]): Promise<void> {
  expect(await page.locator('html').evaluate((html) => html.scrollWidth)).toBeLessThanOrEqual(VIEWPORT.width);
  const rows = page.locator('#widths tbody tr');
  expect(await rows.count()).toBe(layers.length);
  expect(await page.locator('#widths tbody tr td:first-child').allTextContents()).toEqual(layers.map((l) => l.name));
  type Bar = { channels: number; width: number; height: number; right: number };
  const measured: Array<{ rowHeight: number; fontSize: number; bars: Record<string, Bar> }> = await rows.evaluateAll((elements) =>
    elements.map((row) => ({
      rowHeight: row.getBoundingClientRect().height,
      fontSize: parseFloat(row.ownerDocument.defaultView!.getComputedStyle(row.querySelector('td')!).fontSize),
      bars: Object.fromEntries(
        [...row.querySelectorAll('rect')].map((rect) => {
          const box = rect.getBoundingClientRect();
          return [rect.getAttribute('class'), { channels: Number(rect.getAttribute('data-channels')), width: box.width, height: box.height, right: box.right }];
        }),
      ),
    })),
  );
  measured.forEach((row, i) => {
    expect(row.rowHeight).toBeGreaterThanOrEqual(16);
    expect(row.fontSize).toBeGreaterThanOrEqual(12);
    for (const bar of Object.values(row.bars)) {
      expect(bar.right).toBeLessThanOrEqual(VIEWPORT.width);
      if (bar.channels > 0) expect(bar.width).toBeGreaterThanOrEqual(2);
      else expect(bar.width).toBe(0);
      expect(bar.height).toBeGreaterThanOrEqual(4);
    }
    // Relative to the seed: an expanded width of half the seed draws half the seed's bar.
    const layer = layers[i];
    const expected = (row.bars['bar-seed'].width * layer.expanded!) / layer.seed;
    if (expected >= 2) expect(row.bars['bar-expanded'].width).toBeCloseTo(expected, 0);
  });
}

// Each test opens its own page in the one browser: they run concurrently.
describe.runIf(existsSync(CHROMIUM) || process.env.CI).concurrent('the HTML report', () => {
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    for (const page of openPages) await page.close();
    await browser?.close();
  });

  it('opens in headless Chromium without console errors and draws the run\'s data', async () => {
    const { page, problems, dir } = await open(REPORT, 'report');
    // One bar per layer per series, one point per stage with an accuracy, one line per curve.
    expect(await page.locator('#widths rect.bar-seed').count()).toBe(3);
    expect(await page.locator('#widths rect.bar-expanded').count()).toBe(3);
    expect(await page.locator('#accuracy circle').count()).toBe(3);
    for (const id of ['loss', 'cost', 'alive']) expect(await page.locator(`#${id} path`).count()).toBe(1);
    expect(await page.textContent('body')).toContain('retrain 94.8%');
    expect(await page.textContent('body')).toContain('shrink 91.0% (val)');
    await expectWidthsReadable(page, REPORT.layers);
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    expect(existsSync(join(dir, 'report.png'))).toBe(true);
    expect(problems).toEqual([]);
  });

  it('puts the comparison, the multiplier and the costs of each stage in a headline at the top', async () => {
    const { page } = await open(LARGE_REPORT, 'headline');
    const headline = await visibleText(page, '#headline');
    expect(headline).toContain('morphnet report: models/mobilenet/model.json');
    expect(headline).toContain('backend tensorflow');
    // 100 * (0.712 - 0.6985) = 1.35 points
    expect(headline).toContain('MorphNet 71.20% vs uniform baseline 69.85% test accuracy: +1.35 points, at 150M vs 152M FLOPs');
    expect(headline).toContain('expand multiplier ×1.380');
    expect(headline).toContain('FLOPs 300M seed → 120M shrunk → 150M expanded');
    expect(headline).toContain('params 3.5M seed → 1.4M shrunk → 2M expanded');
    expect(headline).toContain('warning: shrink/metrics.jsonl:201: ignored the last line');
    const top = await page.locator('#headline').boundingBox();
    expect(top!.y).toBeLessThan(VIEWPORT.height / 4);
  });

  it('shows a failed stage with its error, and says what is missing for the comparison', async () => {
    const failed: Report = { ...LARGE_REPORT, stages: [...LARGE_REPORT.stages.slice(0, 4), FAILED_BASELINE], comparison: undefined, warnings: undefined };
    const { page } = await open(failed, 'failed');
    const headline = await visibleText(page, '#headline');
    expect(headline).toContain('baseline failed: out of memory while allocating a [64,112,112,96] tensor resume from its last checkpoint: morphnet retrain -r runs/mobilenet --baseline uniform');
    expect(headline).toContain('MorphNet 71.20% test accuracy at 150M FLOPs; no uniform baseline to compare with: train one with morphnet retrain -r runs/mobilenet --baseline uniform');
    expect(headline).not.toContain('warning');
    expect(await page.locator('#stages tr:has-text("baseline") td').nth(1).textContent()).toBe('failed');
  });

  it('keeps 150 layers inside the window, one readable row each, with small layers as visible as large ones', async () => {
    const { page, problems, dir } = await open(LARGE_REPORT, 'large');
    await expectWidthsReadable(page, LARGE_REPORT.layers);
    // The widest relative width is 1.38 x seed: the axis runs to the next round tick, 150%.
    expect(await tickLabels(page, '#widths thead .x-tick')).toEqual(['0%', '50%', '100%', '150%']);
    // The header with the axis stays in view while the rows scroll under it.
    await page.locator('#widths tbody tr').last().scrollIntoViewIfNeeded();
    const header = await page.locator('#widths thead th').first().boundingBox();
    expect(header!.y).toBeGreaterThanOrEqual(-1);
    expect(header!.y).toBeLessThan(VIEWPORT.height);
    await page.screenshot({ path: join(dir, 'large.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('labels the axes of every chart with round ticks that do not collide', async () => {
    const { page } = await open(LARGE_REPORT, 'ticks');
    // cost runs from 300M down, the y axis from 0 in steps of 100M; steps 1..200 in steps of 50.
    expect(await tickLabels(page, '#cost .y-tick')).toEqual(['0', '100M', '200M', '300M']);
    expect(await tickLabels(page, '#cost .x-tick')).toEqual(['0', '50', '100', '150', '200']);
    // alive from 30000 down: 0, 10k, 20k, 30k.
    expect(await tickLabels(page, '#alive .y-tick')).toEqual(['0', '10k', '20k', '30k']);
    // Accuracy 65.5% .. 71.2% widened by half a point each way, ticks 1, 2 or 5 apart.
    expect(await tickLabels(page, '#accuracy .y-tick')).toEqual(['64%', '66%', '68%', '70%', '72%']);
    expect(await tickLabels(page, '#accuracy .x-tick')).toEqual(['0', '50M', '100M', '150M', '200M']);
    for (const chart of ['loss', 'cost', 'alive', 'accuracy']) {
      const boxes = await page.locator(`#${chart} .x-tick`).evaluateAll((ticks) => ticks.map((tick) => tick.getBoundingClientRect()).map((box) => [box.left, box.right]));
      for (let i = 1; i < boxes.length; i++) expect(boxes[i][0]).toBeGreaterThan(boxes[i - 1][1]);
    }
    // Retrain (150M, 71.2%) and baseline (152M, 69.85%) sit close: their labels do not overlap.
    const labelBox = (stage: string) => page.locator(`#accuracy .point-label:text-matches("^${stage} ")`).evaluate((text) => [text.getBoundingClientRect().top, text.getBoundingClientRect().bottom]);
    const [retrain, baseline] = [await labelBox('retrain'), await labelBox('baseline')];
    expect(retrain[1] <= baseline[0] || baseline[1] <= retrain[0]).toBe(true);
  });

  it.runIf(existsSync(TEACHABLE_MACHINE))('reads well for the shared Teachable Machine MobileNetV2 (its real layer names, widths and FLOPs)', async () => {
    const report = await teachableMachineReport();
    const { page, problems, dir } = await open(report, 'teachable-machine');
    const layers = report.layers;
    expect(layers.length).toBeGreaterThan(30);
    await expectWidthsReadable(page, layers);
    await page.screenshot({ path: join(dir, 'teachable-machine.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});

/**
 * A report for the Teachable Machine model: real layer names, classes, seed widths and FLOPs
 * shares from `countModel`; learned widths made up per channel group (tied layers stay equal),
 * expanded by 1.38 with fixed groups (the classes) kept.
 */
async function teachableMachineReport(): Promise<Report> {
  await initBackend('cpu');
  const cost = countModel(await loadModel({ path: TEACHABLE_MACHINE }));
  const owners = cost.layers.filter((layer) => handlerFor(layer.className)?.ownsChannels);
  const groupOf = (name: string) => cost.groups.find((group) => group.layers.includes(name))!;
  const widthsOf = (name: string, seed: number) => {
    const group = groupOf(name);
    if (group.fixed) return { shrunk: seed, expanded: seed };
    const shrunk = Math.max(1, Math.round(seed * (0.08 + 0.9 * ((group.id * 0.618) % 1))));
    return { shrunk, expanded: Math.round(shrunk * 1.38) };
  };
  const layers: ReportLayer[] = owners.map((layer) => {
    const seed = Number(layer.outputShape.at(-1));
    return { name: layer.name, className: layer.className, seed, ...widthsOf(layer.name, seed), seedFlopsShare: layer.flops / cost.totals.flops };
  });
  const expandedFlops = owners.map((layer, i) => layer.flops * (layers[i].expanded! / layers[i].seed));
  const totalExpanded = expandedFlops.reduce((a, b) => a + b, 0);
  layers.forEach((layer, i) => (layer.expandedFlopsShare = expandedFlops[i] / totalExpanded));
  const seedFlops = cost.totals.flops;
  return {
    format: 'morphnet.report/1',
    runDir: 'runs/teachable-machine',
    model: TEACHABLE_MACHINE,
    backend: 'wasm',
    stages: [
      { name: 'seed', status: 'complete', cost: { flops: seedFlops, params: cost.totals.params } },
      { name: 'shrink', status: 'complete', cost: { flops: 0.4 * seedFlops, params: 0.45 * cost.totals.params }, valAccuracy: 0.88 },
      { name: 'expand', status: 'complete', cost: { flops: 0.5 * seedFlops, params: 0.6 * cost.totals.params }, multiplier: 1.38 },
      { name: 'retrain', status: 'complete', cost: { flops: 0.5 * seedFlops, params: 0.6 * cost.totals.params }, valAccuracy: 0.93, testAccuracy: 0.925 },
      { name: 'baseline', status: 'complete', cost: { flops: 0.5 * seedFlops, params: 0.5 * cost.totals.params }, valAccuracy: 0.91, testAccuracy: 0.904 },
    ],
    layers,
    comparison: { morphnetAccuracy: 0.925, baselineAccuracy: 0.904, metric: 'test', flops: { morphnet: 0.5 * seedFlops, baseline: 0.5 * seedFlops } },
    shrinkCurve: Array.from({ length: 300 }, (_, i) => ({ step: 10 * (i + 1), loss: 1.2 / (1 + i / 30), taskLoss: 0.9 / (1 + i / 30), cost: seedFlops * (1 - 0.6 * (1 - Math.exp(-i / 60))), alive: 7170 * (1 - 0.55 * (1 - Math.exp(-i / 60))) })),
  };
}
