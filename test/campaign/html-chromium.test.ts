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

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msi-fuzz-html-chromium-'));

interface Seen {
  title: string;
  plots: { label: string; width: number; height: number; shapes: number }[];
  findingRows: { status: string; invariant: string; configuration: string }[];
  newFindings: string;
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

  test('a real campaign report shows its plots, its findings and its configurations, with no console error', async () => {
    const state = path.join(tmp, 'state');
    const r = run('run', '--platform', 'gic-v3-its', '--revision', 'all', '--seeds', '1', '--runs-per-seed', '8', '--state', state, '--json');
    expect([0, 1]).toContain(r.code);
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
      plots.push({ label: (await svg.getAttribute('aria-label')) ?? '', width: box?.width ?? 0, height: box?.height ?? 0, shapes: await svg.locator('path, rect, circle').count() });
    }
    const findingRows: Seen['findingRows'] = [];
    for (const tr of await page.locator('#findings tbody tr.new, #findings tbody tr.known').all()) {
      const td = tr.locator('td');
      findingRows.push({ status: (await td.nth(0).innerText()).trim(), invariant: (await td.nth(1).innerText()).trim(), configuration: (await td.nth(2).innerText()).trim() });
    }
    const seen: Seen = {
      title: await page.title(),
      plots,
      findingRows,
      newFindings: (await page.locator('#new-findings').innerText()).trim(),
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
    }
    // One row per finding, in the order and with the status the CLI reported.
    expect(seen.findingRows).toEqual(
      findings.map((f) => ({ status: f.known === null ? 'NEW' : `known: ${f.known}`, invariant: f.invariant, configuration: expect.stringContaining(`${f.platform}@${f.revision}`) as unknown as string })),
    );
    expect(seen.findingRows.some((row) => row.status === 'known: its-nvme-realloc-uaf')).toBe(true);
    expect(seen.newFindings).toBe(`${findings.filter((f) => f.status === 'new').length} new finding(s)`);
    expect(seen.configurations).toBe(j['configurations']);
    expect(errors).toEqual([]);
    // Self-contained: the page itself is the only thing loaded.
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
  });
});
