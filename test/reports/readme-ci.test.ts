// The README's CI section works as written (issue 17): its GitHub Actions and GitLab CI pipelines are valid YAML,
// the scripts they call exist, every purple command line in them runs with the real CLI (flags, commands and the
// files they name, as a fresh checkout holds them), and the paths they upload and publish are what the run writes.
// The run goes over an empty scenario folder (about 15 s: targets, judging and every report, no scenario).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { execa } from 'execa';
import { parseDocument } from 'yaml';
import { CLI, tempDir } from '../run/helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Pipeline {
  name: string;
  yaml: Record<string, unknown>;
  commands: string[];
  /** Paths the pipeline uploads or publishes after the run. */
  published: string[];
}

function ciSection(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## CI\n');
  expect(start, 'README.md has a "## CI" section').to.be.greaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

function yamlBlocks(section: string): Record<string, unknown>[] {
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => {
    const doc = parseDocument(m[1]!, { prettyErrors: true, uniqueKeys: true });
    expect(doc.errors.map(String), m[1]).to.deep.equal([]);
    return doc.toJS() as Record<string, unknown>;
  });
}

function pipelines(): Pipeline[] {
  const [github, gitlab] = yamlBlocks(ciSection());
  expect(github, 'a GitHub Actions workflow').to.have.property('jobs');
  expect(gitlab, 'a GitLab CI pipeline').to.not.equal(undefined);
  const gh: Pipeline = { name: 'GitHub Actions', yaml: github!, commands: [], published: [] };
  for (const job of Object.values(github!.jobs as Record<string, { steps: Record<string, unknown>[]; 'runs-on': unknown }>)) {
    expect(job['runs-on']).to.not.equal(undefined);
    for (const step of job.steps) {
      if (typeof step.run === 'string') gh.commands.push(step.run);
      const w = (step.with ?? {}) as Record<string, string>;
      if (String(step.uses).startsWith('actions/upload-artifact')) gh.published.push(w.path!);
      if (String(step.uses).startsWith('mikepenz/action-junit-report')) gh.published.push(w.report_paths!);
    }
  }
  const gl: Pipeline = { name: 'GitLab CI', yaml: gitlab!, commands: [], published: [] };
  for (const [name, job] of Object.entries(gitlab! as Record<string, Record<string, unknown>>)) {
    if (!job || typeof job !== 'object' || !('script' in job)) continue;
    expect(job.tags, `${name}: a tagged (root) runner`).to.be.an('array');
    gl.commands.push(...(job.script as string[]));
    const artifacts = job.artifacts as { paths: string[]; reports: { junit: string } };
    gl.published.push(...artifacts.paths, artifacts.reports.junit);
    for (const line of (job.after_script as string[] | undefined) ?? []) {
      const cat = /^cat (\S+)/.exec(line);
      if (cat) gl.published.push(cat[1]!);
    }
  }
  return [gh, gl];
}

/** The words of a plain command line (the README's use no quoting). */
function words(command: string): string[] {
  expect(command, 'no shell quoting or expansion to interpret').to.not.match(/['"`$\\|;&]/);
  return command.trim().split(/\s+/);
}

describe("the README's CI pipelines work as written (issue 17)", function () {
  this.timeout(300_000);
  const all = pipelines();

  it('are valid YAML with a job that runs purple, and call only scripts the repository has', function () {
    for (const p of all) {
      expect(p.commands.some((c) => /\bnpx purple run\b/.test(c)), p.name).to.equal(true);
      for (const c of p.commands) {
        const [program, script] = words(c);
        if (program === 'bash') {
          expect(existsSync(path.join(ROOT, script!)), `${p.name}: ${c}`).to.equal(true);
          execFileSync('bash', ['-n', path.join(ROOT, script!)]);
        } else expect(['npm', 'npx'], `${p.name}: ${c}`).to.include(program);
      }
    }
  });

  for (const p of all) {
    it(`${p.name}: every purple command runs with the real CLI and writes what the pipeline publishes`, async function () {
      for (const command of p.commands.filter((c) => /\bpurple\b/.test(c))) {
        const [npx, purple, ...args] = words(command);
        expect([npx, purple]).to.deep.equal(['npx', 'purple']);
        // A fresh checkout as the README describes it: the waivers file the pipeline names is committed.
        const work = tempDir('readme-ci');
        const waivers = args[args.indexOf('--waivers') + 1];
        if (args.includes('--waivers')) {
          mkdirSync(path.dirname(path.join(work, waivers!)), { recursive: true });
          writeFileSync(path.join(work, waivers!), 'waivers: []\n');
        }
        const empty = path.join(work, 'no-scenarios');
        mkdirSync(empty);
        const summary = path.join(work, 'step-summary.md');
        writeFileSync(summary, '');
        const r = await execa('node', [CLI, ...args, '--scenarios', empty], {
          cwd: work,
          reject: false,
          env: { NO_COLOR: '1', GITHUB_STEP_SUMMARY: summary },
        });
        // Exit 1: an empty run validates nothing, so it fails; 2 would be a usage error in the README's command.
        expect(r.exitCode, `${command}\n${r.stdout}\n${r.stderr}`).to.equal(1);
        expect(String(r.stdout)).to.include('0 expectations');
        for (const published of p.published) expect(existsSync(path.join(work, published)), `${p.name} publishes ${published}`).to.equal(true);
        if (args.includes('--github-summary')) expect(readFileSync(summary, 'utf8')).to.include('# purple run');
      }
    });
  }
});
