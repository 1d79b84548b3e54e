// The HTML report as a browser shows it: a real campaign's report (written by the CLI into its
// state directory) opened from file:// in headless Chromium (the build @sparticuz/chromium ships
// in its npm package, driven by playwright-core: test/chromium.ts). Checks what a reader sees:
// every plot is an SVG with a non-zero box, drawn content and labelled axes, the legend, the
// findings table has one row per finding with its status, nothing failed to load and nothing
// logged an error. A screenshot goes to a temp file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { lastJson, run } from '../cli-helpers';
import { launchChromium, type TestBrowser } from '../chromium';
import { HOSTILE, hostileReport } from './hostile';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-html-chromium-'));

interface Seen {
  title: string;
  plots: { label: string; width: number; height: number; shapes: number; ticks: number; axes: string[] }[];
  findingRows: { status: string; invariant: string; configuration: string }[];
  newFindings: string;
  legend: string[];
  configurations: number;
}

describe('HTML report in headless Chromium', () => {
  let browser: TestBrowser;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  test('a real campaign report shows its plots with their axes, its findings by status with a legend, and its configurations, with no console error', async () => {
    // powernv at every revision: a known bug and failures at revisions declared known-bad (expected).
    const state = path.join(tmp, 'state');
    const r = run('run', '--platform', 'powernv', '--revision', 'all', '--seeds', '1', '--runs-per-seed', '8', '--state', state, '--json');
    expect(r.code).toBe(0);
    const j = lastJson(r.stdout);
    const file = j['html'] as string;
    expect(file).toBe(path.join(state, 'report.html'));
    const findings = j['findings'] as { status: string; invariant: string; platform: string; revision: string; known: string | null }[];
    expect(findings.length).toBeGreaterThan(0);

    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('requestfailed', (q) => errors.push(`request failed: ${q.url()}`));
    const requests: string[] = [];
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

    // Read through locators (what the page renders), not the DOM types this Node project lacks.
    const plots: Seen['plots'] = [];
    for (const svg of await page.locator('figure svg').all()) {
      const box = await svg.boundingBox();
      plots.push({
        label: (await svg.getAttribute('aria-label')) ?? '',
        width: box?.width ?? 0,
        height: box?.height ?? 0,
        shapes: await svg.locator('path, rect, circle').count(),
        ticks: await svg.locator('text.tick').count(),
        axes: await svg.locator('text.axis').allTextContents(),
      });
    }
    const findingRows: Seen['findingRows'] = [];
    for (const tr of await page.locator('#findings tbody tr.new, #findings tbody tr.known, #findings tbody tr.expected').all()) {
      const td = tr.locator('td');
      findingRows.push({ status: (await td.nth(0).innerText()).trim(), invariant: (await td.nth(1).innerText()).trim(), configuration: (await td.nth(2).innerText()).trim() });
    }
    const seen: Seen = {
      title: await page.title(),
      plots,
      findingRows,
      newFindings: (await page.locator('#new-findings').innerText()).trim(),
      legend: (await page.locator('#legend li').allInnerTexts()).map((t) => t.trim()),
      configurations: await page.locator('#configurations tbody tr').count(),
    };
    const shot = path.join(tmp, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    await page.close();

    expect(seen.title).toContain('msi-fuzz campaign');
    const labels = seen.plots.map((p) => p.label);
    for (const label of ['commands per second', 'coverage: states reached', 'findings by platform', 'findings by invariant', 'states reached (steps)', 'commands executed']) {
      expect(labels.some((l) => l.startsWith(label))).toBe(true);
    }
    for (const p of seen.plots) {
      expect(p.width).toBeGreaterThan(100);
      expect(p.height).toBeGreaterThan(50);
      expect(p.shapes).toBeGreaterThan(0);
      expect(p.axes.length).toBeGreaterThan(0);
    }
    // The time plots have titled axes with several ticks each.
    for (const p of seen.plots.filter((x) => x.label === 'commands per second' || x.label.startsWith('coverage: states reached'))) {
      expect(p.axes).toEqual(['campaign time (s)', p.label === 'commands per second' ? 'commands per second' : 'states reached']);
      expect(p.ticks).toBeGreaterThanOrEqual(5);
    }
    // One row per finding, in the order and with the status the CLI reported.
    const label = (f: (typeof findings)[number]): string => (f.status === 'known' ? `known: ${f.known ?? ''}` : f.status === 'new' ? 'NEW' : 'expected');
    expect(seen.findingRows).toEqual(findings.map((f) => ({ status: label(f), invariant: f.invariant, configuration: expect.stringContaining(`${f.platform}@${f.revision}`) as unknown as string })));
    expect(seen.findingRows.some((row) => row.status === 'known: powernv-opal-bogus-irq')).toBe(true);
    expect(seen.findingRows.some((row) => row.status === 'expected')).toBe(true);
    const count = (st: string): number => findings.filter((f) => f.status === st).length;
    expect(seen.legend.map((l) => l.replace(/:.*/s, ''))).toEqual([`NEW (${count('new')})`, `known (${count('known')})`, `expected (${count('expected')})`]);
    expect(seen.newFindings).toBe(`${findings.filter((f) => f.status === 'new').length} new finding(s)`);
    expect(seen.configurations).toBe(j['configurations']);
    expect(errors).toEqual([]);
    // Self-contained: the page itself is the only thing loaded.
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
  });

  test('a report of crafted values runs no script: markup and quotes in any field stay text', async () => {
    const file = path.join(tmp, 'hostile.html');
    fs.writeFileSync(file, hostileReport());
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned ?? 0)).toBe(0);
    expect(await page.locator('script, img, [onerror], [onload]').count()).toBe(0);
    expect(await page.title()).toBe(HOSTILE);
    expect((await page.locator('h1').innerText()).trim()).toBe(HOSTILE);
    expect(await page.locator('#findings tbody tr.known td').first().innerText()).toBe(`known: ${HOSTILE}`);
    expect(errors).toEqual([]);
    await page.close();
  });
});
