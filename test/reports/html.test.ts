// report.html in a real headless Chromium: content visible, nothing fetched, no script runs,
// print media renders light and expanded, PDF prints. Screenshot and PDF kept under test-artifacts/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { analytic } from '../../harness/attack/catalog.js';
import { renderHtml, withBaseline } from '../../reports/index.js';
import { HOSTILE_COMMAND, HOSTILE_SUMMARY, makeBaselineReport, makeReport } from './factory.js';

// Browser globals for the callbacks page.evaluate runs inside the page (the project has no DOM lib).
declare const window: { __pwned?: number };
declare const document: {
  querySelectorAll(s: string): ArrayLike<{ open?: boolean }>;
  querySelector(s: string): unknown;
  documentElement: { scrollWidth: number; clientWidth: number };
};
declare function getComputedStyle(el: unknown): { backgroundColor: string; breakBefore: string; breakInside: string };

const CHROMIUM = '/usr/bin/chromium';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ARTIFACTS = path.join(REPO, 'test-artifacts');

describe('reports: report.html in headless Chromium', function () {
  this.timeout(300_000);
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  let htmlFile: string;
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) execFileSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', timeout: 240_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    htmlFile = path.join(ARTIFACTS, 'report.html');
    writeFileSync(htmlFile, renderHtml(withBaseline(makeReport(), makeBaselineReport(), 'reports/runs/20260301-090000-0000')));
    profile = mkdtempSync(path.join(tmpdir(), 'purple-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await context.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
  });

  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('requests nothing but the file itself and runs no script', async () => {
    expect(requests).to.deep.equal([pathToFileURL(htmlFile).href]);
    expect(await page.evaluate(() => window.__pwned)).to.equal(undefined);
    expect(await page.locator('script, img, link[rel=stylesheet], iframe').count()).to.equal(0);
    expect(consoleErrors).to.deep.equal([]);
  });

  it('shows scenario ids, verdicts, techniques and analytic names', async () => {
    for (const id of ['archive-xor-python', 'binary-padding-dd', 'ftp-exfil-curl', 'archive-tar-benign', 'binary-padding-benign', 'ftp-benign-mirror', 'archive-broken', 'ftp-exfil-repeat']) {
      expect(await page.locator(`#scenario-${id} h3`).isVisible(), id).to.equal(true);
    }
    const results = page.locator('#results + section');
    for (const text of ['detected', 'missed', 'false alarm', 'quiet', 'incomplete', 'error', '2/3 detected (1 missed) — flaky']) {
      expect(await results.getByText(text, { exact: true }).first().isVisible(), text).to.equal(true);
    }
    const coverage = page.locator('#coverage-analytic + section');
    for (const id of ['AN1214', 'AN1529', 'AN1170']) {
      const ref = analytic(id);
      const row = coverage.locator('tr', { hasText: id });
      expect(await row.isVisible(), id).to.equal(true);
      const text = await row.innerText();
      expect(text).to.include(ref.name).and.include(ref.detectionStrategy.id).and.include(ref.techniques[0]!.id).and.include(ref.techniques[0]!.name);
      expect(text).to.include(ref.techniques[0]!.tactics[0]!);
    }
    expect(await page.locator('#coverage-technique + section tr', { hasText: 'T1071.002' }).innerText()).to.include('some expectations met');
  });

  it('shows the evidence chain, config, audit rules and regressions, with run text escaped', async () => {
    const xor = page.locator('#scenario-archive-xor-python');
    expect(await xor.locator('code', { hasText: HOSTILE_COMMAND }).first().isVisible()).to.equal(true);
    expect(await xor.locator('.alert strong').first().innerText()).to.equal(HOSTILE_SUMMARY.replace('\u0007', '\u2407'));
    expect(await xor.locator('.alert').innerText()).to.include('/usr/bin/python3.11').and.include('/tmp/out.bin').and.include('172.28.0.3:21');
    expect(await page.locator('#scenario-ftp-exfil-curl .check-no').innerText()).to.include('a flow to the FTP server');
    expect(await page.locator('#config + section').innerText()).to.include('EntropyThreshold').and.include('10.0.0.0/8').and.include('backup');
    expect(await page.locator('#audit-rules + section').innerText()).to.include('-k purple-exec');
    const regressions = await page.locator('#regressions + section').innerText();
    expect(regressions).to.include('newly missed: binary-padding-dd / AN1529').and.include('new false alarm: archive-tar-benign / AN1214');
    expect(await page.locator('#scenario-ftp-exfil-repeat details').count()).to.equal(3);
  });

  it('prints light, expanded, a scenario per page', async () => {
    await page.emulateMedia({ media: 'print' });
    const darkest = await page.evaluate(() => {
      let min = 1;
      for (const el of Array.from(document.querySelectorAll('*'))) {
        const m = /rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)/.exec(getComputedStyle(el).backgroundColor);
        if (!m || (m[4] !== undefined && Number(m[4]) === 0)) continue;
        const [r, g, b] = [m[1], m[2], m[3]].map((v) => Number(v) / 255) as [number, number, number];
        min = Math.min(min, 0.2126 * r + 0.7152 * g + 0.0722 * b);
      }
      return min;
    });
    expect(darkest).to.be.greaterThan(0.75);
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('article.scenario')).breakBefore)).to.equal('page');
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('table')).breakInside)).to.equal('avoid');
    expect(await page.evaluate(() => Array.from(document.querySelectorAll('details')).every((d) => d.open))).to.equal(true);
    expect(await page.locator('#scenario-ftp-exfil-repeat h4', { hasText: 'Steps' }).first().isVisible()).to.equal(true);
    // At A4 width (210 mm minus Chromium's default margins, ~718 CSS px) nothing sticks out of the page.
    const screen = page.viewportSize()!;
    await page.setViewportSize({ width: 718, height: 1000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await page.setViewportSize(screen);
    expect(overflow).to.equal(0);

    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    writeFileSync(path.join(ARTIFACTS, 'report.pdf'), pdf);
    expect(pdf.subarray(0, 5).toString()).to.equal('%PDF-');
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    expect(pages).to.be.at.least(9); // summary + one page (at least) per scenario
    await page.emulateMedia({ media: 'screen' });
  });

  it('keeps a screenshot as a test artifact', async () => {
    const file = path.join(ARTIFACTS, 'report.png');
    const png = await page.screenshot({ path: file, fullPage: true });
    expect(png.subarray(1, 4).toString()).to.equal('PNG');
    expect(png.length).to.be.greaterThan(20_000);
  });
});
