// `local`: this machine's Docker engine. Before connecting, the host must pass purple doctor's failing checks
// (images are built if missing); its warnings go into the report.
import { execa } from 'execa';
import { docker } from '../../host/docker.js';
import { ensureImages, imageRef } from '../../host/images.js';
import { NO_HOST_RULES_FIRST, runDoctorChecks } from '../../host/doctor.js';
import { localTransport } from '../../host/transport.js';
import { EnvironmentError } from '../../shared/errors.js';
import { listPurpleRules, RULE_KEY_PREFIX } from '../../collectors/audit-rules.js';
import { RUN_ID_PATTERN } from '../../run/suite.js';
import { DockerEnvironment, LABEL_RUN } from '../docker-environment.js';
import { localEngineHost } from '../engine-host.js';
import { LOCAL_SCHEME, registerTargetKind } from '../kinds.js';

export const localKind = registerTargetKind<null>({
  scheme: LOCAL_SCHEME,
  forms: [LOCAL_SCHEME],
  platform: 'container',
  overSsh: false,
  parse: () => ({ uri: LOCAL_SCHEME, spec: null }),
  async connect(_spec, planned, options) {
    const checks = await runDoctorChecks(undefined, { audit: options.audit });
    const failing = checks.filter((c) => !c.ok && c.severity === 'fail' && c.name !== 'images');
    if (failing.length) {
      throw new EnvironmentError(
        `the host is not ready:\n${failing.map((c) => `  ${c.name}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`).join('\n')}`,
      );
    }
    const warnings = checks.filter((c) => !c.ok && c.severity === 'warn').map((c) => `${c.name}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`);
    for (const warning of warnings) process.stderr.write(`purple: warning: ${warning}\n`);
    const hostRules = checks.find((c) => c.name === 'host audit rules');
    if (hostRules && hostRules.detail !== NO_HOST_RULES_FIRST) process.stderr.write(`purple: host audit rules: ${hostRules.detail}\n`);
    await ensureImages({ onProgress: options.progress });
    const engine = docker();
    return {
      target: {
        uri: localEngineHost.uri,
        transport: localTransport,
        createTarget: (id, slug) => new DockerEnvironment(engine, id, slug, imageRef),
        prepareAhead: true,
        scenarios: planned,
      },
      docker: engine,
      warnings,
    };
  },
  doctor: (_spec, options) => runDoctorChecks(undefined, { audit: options.audit }),
  async cleanup(wanted, act) {
    const client = docker();
    for (const info of await client.listContainers({ all: true, filters: { label: [LABEL_RUN] } })) {
      if (wanted(info.Labels[LABEL_RUN])) {
        await act(`container ${info.Names[0]?.replace(/^\//, '')} (run ${info.Labels[LABEL_RUN]})`, () =>
          client.getContainer(info.Id).remove({ force: true, v: true }),
        );
      }
    }
    for (const info of await client.listNetworks({ filters: { label: [LABEL_RUN] } })) {
      if (wanted(info.Labels?.[LABEL_RUN])) {
        await act(`network ${info.Name} (run ${info.Labels?.[LABEL_RUN]})`, () => client.getNetwork(info.Id).remove());
      }
    }
    for (const rule of await listPurpleRules()) {
      // A run with several targets keys each target's rules `purple-<run id>-t<n>`.
      const key = rule.find((a) => a.startsWith(`key=${RULE_KEY_PREFIX}-`))?.slice(`key=${RULE_KEY_PREFIX}-`.length);
      const runId = key ? (RUN_ID_PATTERN.exec(key)?.[0] ?? key) : undefined;
      if (wanted(runId)) await act(`audit rule ${rule.slice(1).join(' ')}`, () => execa('auditctl', rule));
    }
  },
});
