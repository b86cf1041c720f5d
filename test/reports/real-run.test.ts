// Issue 17 on real runs (real Docker + auditd): a partial run claims no coverage it did not test, the
// terminal fits 80 columns, junit.xml validates against both JUnit schemas with xmllint, a waived miss
// passes and an expired waiver fails, --fail-on regression gates on regressions only, --github-summary
// writes the job summary, the HTML prints in a few pages with the summary on page one, and a crafted
// audit log (ESC sequences, bidi overrides, URLs, @team in a file name) is shown harmlessly by replay and
// by every run report (issue 13 item 5).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { execa } from 'execa';
import { chromium } from 'playwright-core';
import type { RunReport } from '../../harness/run/results.js';
import { sharedDir } from '../shared-data.js';
import { CLI, readReport, tempDir } from '../run/helpers.js';

declare const document: { querySelector(s: string): { getBoundingClientRect(): { top: number; bottom: number } } | null };

const SCHEMAS = path.join(sharedDir, 'schemas', 'junit');
const CHROMIUM = '/usr/bin/chromium';
const UNTESTED = ['T1027.001', 'T1071.002'];
const PARTIAL = [
  'an1214-python-xor-archive', 'an1214-perl-xor-archive', 'an1214-bash-xor-archive',
  'an1214-benign-tar-backup', 'an1214-benign-python-zip', 'an1214-benign-text-report',
];

function cli(args: string[], env: Record<string, string> = {}) {
  return execa('node', [CLI, ...args], { reject: false, timeout: 600_000, env: { NO_COLOR: '1', ...env } });
}

function xmllint(schema: string, file: string): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync('xmllint', ['--noout', '--schema', schema, file], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (err) {
    return { ok: false, out: String((err as { stderr?: string }).stderr ?? err) };
  }
}

describe('reports of a real partial run (issue 17)', function () {
  this.timeout(900_000);
  let work: string;
  let runDir: string;
  let run: Awaited<ReturnType<typeof cli>>;
  let summaryFile: string;

  before(async function () {
    if (!existsSync('/usr/bin/xmllint')) execFileSync('apt-get', ['install', '-y', 'libxml2-utils'], { stdio: 'inherit', timeout: 240_000 });
    work = tempDir('issue17');
    runDir = path.join(work, 'run');
    summaryFile = path.join(work, 'step-summary.md');
    writeFileSync(summaryFile, '');
    // A partial run: the six original AN1214 scenarios (3 emulations, 3 twins), nothing of the other analytics.
    run = await cli(['run', ...PARTIAL, '--out', runDir, '--github-summary'], { COLUMNS: '80', GITHUB_STEP_SUMMARY: summaryFile });
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).to.equal(0);
  });

  it('says the run id and output folder first, then "[k/N] scenario: verdict (latency)" as each scenario ends', function () {
    const report = readReport(runDir);
    const lines = String(run.stderr).split('\n');
    expect(lines[0]).to.equal(`purple run ${report.run_id}: 6 scenario run(s), output in ${runDir.startsWith(process.cwd() + path.sep) ? path.relative(process.cwd(), runDir) : runDir}/`);
    const progress = lines.filter((l) => /^\[\d+\/6\] /.test(l));
    expect(progress).to.have.length(6);
    expect(progress.map((l) => l.slice(0, 6))).to.deep.equal(['[1/6] ', '[2/6] ', '[3/6] ', '[4/6] ', '[5/6] ', '[6/6] ']);
    expect(progress.find((l) => l.includes('an1214-python-xor-archive'))).to.match(/: detected \(\d+(\.\d+)? m?s\)$/);
    expect(progress.find((l) => l.includes('an1214-benign-text-report'))).to.match(/: quiet$/);
  });

  it('fits COLUMNS=80: compact table, no line longer than 80', function () {
    const out = String(run.stdout);
    for (const line of out.split('\n')) expect([...line].length, line).to.be.at.most(80);
    expect(out).to.match(/^Scenario\s+AN1214\s+AN1170\s+AN1529\s+Latency$/m);
    expect(out.split('\n').filter((l) => l.startsWith('an1214-'))).to.have.length(6);
    expect(out).to.include('3 of 3 emulations detected, 0 false alarms on 3 benign twins');
  });

  it('claims no coverage for techniques whose emulations did not run, in md, html, json and the layer', function () {
    const md = readFileSync(path.join(runDir, 'report.md'), 'utf8');
    for (const t of UNTESTED) {
      const row = md.split('\n').find((l) => l.startsWith(`| ${t} `))!;
      expect(row, t).to.include('not tested').and.not.include('✅');
    }
    expect(md.split('\n')[1]).to.match(/^\*\*3 of 3 emulations detected.*not tested: T1027\.001, T1071\.002\*\*$/);
    expect(md).to.include('## Scope');

    const html = readFileSync(path.join(runDir, 'report.html'), 'utf8');
    const techniqueSection = html.slice(html.indexOf('id="coverage-technique"'), html.indexOf('id="results"'));
    for (const t of UNTESTED) {
      const row = techniqueSection.slice(techniqueSection.indexOf(`>${t}</a>`), techniqueSection.indexOf('</tr>', techniqueSection.indexOf(`>${t}</a>`)));
      expect(row, t).to.include('not tested').and.not.include('status-all-met');
    }

    const json = readReport(runDir);
    for (const a of json.analytics) expect(a.tested, a.analytic).to.equal(a.analytic === 'AN1214');

    const layer = JSON.parse(readFileSync(path.join(runDir, 'attack-layer.json'), 'utf8'));
    for (const t of layer.techniques) {
      if (UNTESTED.includes(t.techniqueID)) {
        expect(t, t.techniqueID).to.not.have.any.keys('score', 'color');
        expect(t.comment).to.match(/^Not tested/);
      } else {
        expect(t).to.include({ techniqueID: 'T1560.003', score: 100, color: '#8ec843' });
      }
    }
    expect(layer.metadata).to.deep.include({ name: 'techniques', value: '1 tested, 2 not tested' });
  });

  it('junit.xml validates against both schemas (xmllint), with wall times and names stable across machines', function () {
    const file = path.join(runDir, 'junit.xml');
    for (const schema of readdirSync(SCHEMAS).filter((f) => f.endsWith('.xsd'))) {
      const r = xmllint(path.join(SCHEMAS, schema), file);
      expect(r.ok, `${schema}: ${r.out}`).to.equal(true);
    }
    const xml = readFileSync(file, 'utf8');
    const report = readReport(runDir);
    const wall = (Date.parse(report.finished) - Date.parse(report.started)) / 1000;
    for (const m of xml.matchAll(/<testsuite [^>]*time="([\d.]+)"/g)) expect(Number(m[1])).to.be.at.most(wall + 0.001);
    expect(xml).to.not.include(runDir);
    expect(xml).to.not.include(work);
  });

  it('--github-summary appends report.md to $GITHUB_STEP_SUMMARY', function () {
    expect(readFileSync(summaryFile, 'utf8')).to.equal(readFileSync(path.join(runDir, 'report.md'), 'utf8'));
  });

  it('prints the HTML to A4 and Letter: summary and coverage in a few pages, the summary on page one', async function () {
    if (!existsSync(CHROMIUM)) execFileSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', timeout: 240_000 });
    const profile = mkdtempSync(path.join(tmpdir(), 'purple-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
    });
    try {
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(path.join(runDir, 'report.html')).href, { waitUntil: 'load' });
      expect(requests).to.have.length(1);
      expect(await page.locator('svg.chart').count()).to.equal(2);
      expect(await page.locator('script').count()).to.equal(0);
      // Paper sizes in CSS px (96/in) minus the 12 mm @page margins.
      const papers = { A4: { width: 794, height: 1123 }, Letter: { width: 816, height: 1056 } } as const;
      const margin = (12 / 25.4) * 96;
      for (const [format, paper] of Object.entries(papers)) {
        const pdf = await page.pdf({ format: format as 'A4' | 'Letter' });
        const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
        await page.emulateMedia({ media: 'print' });
        await page.setViewportSize({ width: Math.floor(paper.width - 2 * margin), height: 1000 });
        const layout = await page.evaluate(() => ({
          summaryBottom: document.querySelector('#summary + section')!.getBoundingClientRect().bottom,
          resultsTop: document.querySelector('#results')!.getBoundingClientRect().top,
        }));
        const overflow = await page.evaluate(() => {
          const root = (document as unknown as { documentElement: { scrollWidth: number; clientWidth: number } }).documentElement;
          return root.scrollWidth - root.clientWidth;
        });
        await page.emulateMedia({ media: 'screen' });
        const pageHeight = paper.height - 2 * margin;
        expect(overflow, `${format}: nothing sticks out of the page`).to.equal(0);
        expect(layout.summaryBottom, `${format}: the summary fits on page one`).to.be.below(pageHeight);
        expect(Math.ceil(layout.resultsTop / pageHeight), `${format}: pages for summary and coverage`).to.be.at.most(3);
        // Summary+coverage, results, one page or two per scenario, configuration: far below the 41 pages of before.
        expect(pages, format).to.be.within(4, 6 * 2 + 6);
      }
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });

  describe('judging: waivers and --fail-on', function () {
    let missDir: string;
    let missRun: Awaited<ReturnType<typeof cli>>;
    const waivers = (expires: string) => {
      const file = path.join(work, `waivers-${expires}.yaml`);
      writeFileSync(file, `waivers:\n  - scenario: an1214-python-xor-archive\n    analytic: AN1214\n    reason: accepted gap SEC-17 (detector off on this fleet)\n    expires: ${expires}\n`);
      return file;
    };

    before(async function () {
      const config = path.join(work, 'off.yaml');
      writeFileSync(config, 'analytics:\n  AN1214:\n    enabled: false\n');
      missDir = path.join(work, 'miss');
      missRun = await cli(['run', 'an1214-python-xor-archive', '--config', config, '--waivers', waivers('2999-12-31'), '--out', missDir]);
    });

    it('a waived miss passes and is reported as waived in every format', function () {
      expect(missRun.exitCode, `${missRun.stdout}\n${missRun.stderr}`).to.equal(0);
      const report = readReport(missDir);
      expect(report.scenarios[0]!.verdict).to.equal('missed');
      expect(report.judgement?.waivers).to.have.length(1);
      expect(String(missRun.stdout)).to.include('waived').and.include('PASSED');
      expect(readFileSync(path.join(missDir, 'report.md'), 'utf8')).to.include('waived until 2999-12-31: accepted gap SEC-17');
      const junit = readFileSync(path.join(missDir, 'junit.xml'), 'utf8');
      expect(junit).to.match(/<skipped message="waived: missed/);
      for (const schema of readdirSync(SCHEMAS).filter((f) => f.endsWith('.xsd'))) expect(xmllint(path.join(SCHEMAS, schema), path.join(missDir, 'junit.xml')).ok, schema).to.equal(true);
    });

    it('an expired waiver fails the run', async function () {
      const r = await cli(['report', missDir, '--waivers', waivers('2020-01-01')]);
      expect(r.exitCode).to.equal(1);
      // Wrapped to the width: a phrase may span lines.
      expect(String(r.stdout).replace(/\n\s+/g, ' ')).to.include('waiver expired on 2020-01-01').and.include('FAILED');
    });

    it('a broken waivers file is a usage error naming file and line', async function () {
      const file = path.join(work, 'broken-waivers.yaml');
      writeFileSync(file, 'waivers:\n  - scenario: x\n    analytic: AN1214\n    reason: r\n    expires: soon\n');
      const r = await cli(['report', missDir, '--waivers', file]);
      expect(r.exitCode).to.equal(2);
      expect(String(r.stderr)).to.include(`${file}:5:14: waivers[0].expires: "soon" is not a date (YYYY-MM-DD)`);
    });

    it('--fail-on regression: a known miss passes, a newly missed one fails', async function () {
      const none = path.join(work, 'no-waivers.yaml');
      writeFileSync(none, 'waivers: []\n');
      expect((await cli(['report', missDir, '--waivers', none])).exitCode, 'without waiver or gate the miss fails').to.equal(1);
      const self = await cli(['report', missDir, '--waivers', none, '--baseline', missDir, '--fail-on', 'regression']);
      expect(self.exitCode, String(self.stdout)).to.equal(0);
      const regressed = await cli(['report', missDir, '--waivers', none, '--baseline', runDir, '--fail-on', 'regression']);
      expect(regressed.exitCode).to.equal(1);
      expect(String(regressed.stdout)).to.include('newly missed: an1214-python-xor-archive / AN1214');
      const usage = await cli(['run', 'an1214-python-xor-archive', '--fail-on', 'regression']);
      expect(usage.exitCode).to.equal(2);
      expect(String(usage.stderr)).to.include('--fail-on regression needs --baseline');
    });
  });

  describe('a crafted audit log through replay and the run reports (issue 13 item 5)', function () {
    // ESC sequences that would clear the screen and set the window title, a bidi override that would show
    // "bd.exe" for "exe.db", a host GitHub would link and a team it would notify (no "/": it stays one file in /tmp).
    const HOSTILE = '/tmp/\x1b]0;pwned\x07\x1b[2J\x1b[8mhidden \u202Eexe.db see www.evil.example @purple-team';
    let crafted: string;

    before(function () {
      crafted = path.join(work, 'crafted');
      cpSync(runDir, crafted, { recursive: true });
      const dir = path.join(crafted, 'scenarios', 'an1214-python-xor-archive');
      const hex = Buffer.from(HOSTILE, 'utf8').toString('hex').toUpperCase();
      const audit = readFileSync(path.join(dir, 'audit.log'), 'utf8');
      expect(audit).to.include('"/tmp/.thumbnails.db"');
      writeFileSync(path.join(dir, 'audit.log'), audit.replaceAll('"/tmp/.thumbnails.db"', hex));
      const artifacts = readFileSync(path.join(dir, 'artifacts.json'), 'utf8');
      writeFileSync(path.join(dir, 'artifacts.json'), artifacts.replaceAll('"/tmp/.thumbnails.db"', JSON.stringify(HOSTILE)));
    });

    const harmless = (text: string) => {
      expect(text).to.not.match(/[\x1b\x07\u202E]/);
      expect(text).to.include('␛]0;pwned␇␛[2J␛[8mhidden <U+202E>exe.db');
    };

    it('replay --format table shows the file name with its controls made visible', async function () {
      const r = await cli(['replay', '--run', crafted, '--format', 'table'], { COLUMNS: '200' });
      expect(r.exitCode, String(r.stderr)).to.equal(0);
      const out = String(r.stdout).replace(/\s*│\s*/g, ' ').replace(/\s+/g, ' ');
      harmless(out);
    });

    it('every run report carries it harmlessly: terminal, md (no autolink, no mention), html, junit', async function () {
      const replay = await cli(['replay', '--run', crafted, '--format', 'json']);
      const alerts = JSON.parse(String(replay.stdout)).scenarios.find((s: { id: string }) => s.id === 'an1214-python-xor-archive').alerts;
      expect(alerts[0].summary).to.include(HOSTILE);
      const report = JSON.parse(readFileSync(path.join(crafted, 'report.json'), 'utf8')) as RunReport;
      const scenario = report.scenarios.find((s) => s.id === 'an1214-python-xor-archive')!;
      scenario.alerts = alerts;
      // Shown as a failure, so its reason (the crafted summary) reaches every format's failure list.
      scenario.verdicts[0] = { ...scenario.verdicts[0]!, verdict: 'missed', failedLayer: 'detector', reason: alerts[0].summary };
      scenario.verdict = 'missed';
      scenario.steps[0]!.stdoutTail = `created ${HOSTILE}\n`;
      report.environment.host = `host\u202Egnp.exe https://evil.example/x`;
      writeFileSync(path.join(crafted, 'report.json'), JSON.stringify(report));

      const terminal = await cli(['report', crafted, '--wide'], { COLUMNS: '250' });
      harmless(String(terminal.stdout).replace(/\s*│\s*/g, ' ').replace(/\s+/g, ' '));
      expect(String(terminal.stdout)).to.include('host<U+202E>gnp.exe');

      const md = String((await cli(['report', crafted, '--format', 'md'])).stdout);
      expect(md).to.not.match(/[\x1b\x07\u202E]/);
      expect(md).to.include('&lt;U+202E&gt;');
      expect(md).to.not.match(/https:\/\/evil/);
      expect(md).to.include('https:&#8203;//evil.example/x');
      expect(md).to.not.include('www.evil');
      expect(md).to.include('www&#8203;.evil.example');
      expect(md).to.not.match(/@purple-team/);
      expect(md).to.include('@&#8203;purple-team');

      for (const format of ['html', 'junit']) {
        const text = String((await cli(['report', crafted, '--format', format])).stdout);
        expect(text, format).to.not.match(/[\x1b\x07\u202E]/);
        expect(text, format).to.include('␛]0;pwned␇␛[2J');
        expect(text, format).to.include('&lt;U+202E&gt;exe.db');
      }
    });
  });
});
