import { expect } from 'chai';
import { checkOverrides, convertInput, InputError, interpolate, parseSetArgs, resolveInputs, scenarioEnv, templateNames, templateValues } from '../../harness/scenario/inputs.js';
import type { InputSpec } from '../../harness/scenario/types.js';

const spec = (s: Partial<InputSpec> & Pick<InputSpec, 'name' | 'type' | 'default'>): InputSpec => ({ description: 'test', ...s });

const scenario = {
  id: 'demo',
  inputs: [
    spec({ name: 'size_mb', type: 'integer', default: 20, min: 1, max: 512 }),
    spec({ name: 'volume', type: 'size', default: 1048576, min: 1024 }),
    spec({ name: 'tool', type: 'enum', default: 'scp', values: ['scp', 'sftp'] }),
    spec({ name: 'flag', type: 'boolean', default: false }),
    spec({ name: 'out_dir', type: 'path', default: '/tmp' }),
    spec({ name: 'runner', type: 'user', default: 'www-data' }),
    spec({ name: 'label', type: 'string', default: 'x' }),
  ],
};

describe('scenario inputs', () => {
  it('defaults come back typed', () => {
    expect(resolveInputs(scenario)).to.deep.equal({ size_mb: 20, volume: 1048576, tool: 'scp', flag: false, out_dir: '/tmp', runner: 'www-data', label: 'x' });
  });

  it('--set values are converted by type', () => {
    const v = resolveInputs(scenario, { size_mb: '8', volume: '2MB', tool: 'sftp', flag: 'yes', out_dir: '/var/tmp/', runner: 'svc-app', label: 'run-1' });
    expect(v).to.deep.equal({ size_mb: 8, volume: 2 * 1024 * 1024, tool: 'sftp', flag: true, out_dir: '/var/tmp', runner: 'svc-app', label: 'run-1' });
  });

  it('a scenario-targeted override wins over a global one and only applies to that scenario', () => {
    expect(resolveInputs(scenario, { size_mb: '8', 'demo.size_mb': '9' }).size_mb).to.equal(9);
    expect(resolveInputs(scenario, { 'other.size_mb': '9' }).size_mb).to.equal(20);
  });

  it('every bad value is reported at once, naming scenario, key and source', () => {
    const overrides = { size_mb: '0', volume: '10 parsecs', tool: 'ftp', flag: 'maybe', out_dir: 'tmp', runner: 'Robert; rm', label: 'a b' };
    let message = '';
    try {
      resolveInputs(scenario, overrides);
    } catch (err) {
      expect(err).to.be.instanceOf(InputError); // the CLI turns it into a usage error, exit 2
      message = (err as Error).message;
    }
    const lines = message.split('\n');
    expect(lines).to.have.length(7);
    expect(lines).to.include('demo: input size_mb (--set size_mb): 0 is below the minimum 1');
    expect(lines).to.include('demo: input tool (--set tool): expected one of scp, sftp, got "ftp"');
    expect(lines).to.include('demo: input flag (--set flag): expected true or false, got "maybe"');
    expect(lines).to.include('demo: input out_dir (--set out_dir): expected an absolute path, got "tmp"');
    expect(message).to.match(/input volume \(--set volume\): expected a size/);
    expect(message).to.match(/input runner .*expected a user name/);
    expect(message).to.match(/input label .*would need shell quoting/);
  });

  it('refuses values that would need shell quoting or climb directories', () => {
    const path = spec({ name: 'p', type: 'path', default: '/tmp' });
    expect(() => convertInput(path, '/tmp/$(reboot)')).to.throw(/shell quoting/);
    expect(() => convertInput(path, '/tmp/../etc')).to.throw(/must not contain "\.\."/);
    expect(() => convertInput(spec({ name: 's', type: 'string', default: '' }), "it's")).to.throw(/shell quoting/);
    expect(() => convertInput(spec({ name: 'n', type: 'integer', default: 1 }), '1.5')).to.throw(/expected an integer/);
    expect(() => convertInput(spec({ name: 'n', type: 'integer', default: 1 }), '99999999999999999999')).to.throw(/expected an integer/);
    expect(convertInput(spec({ name: 'n', type: 'integer', default: 1 }), ' -3 ')).to.equal(-3);
  });

  it('checkOverrides: keys no selected scenario declares are errors, with the known names', () => {
    const other = { id: 'other', inputs: [spec({ name: 'key_length', type: 'integer', default: 256 })] };
    expect(checkOverrides({ size_mb: '1', key_length: '32' }, [scenario, other])).to.deep.equal([]);
    expect(checkOverrides({ sizemb: '1' }, [scenario])).to.deep.equal([
      '--set sizemb: no selected scenario has an input named sizemb (known: flag, label, out_dir, runner, size_mb, tool, volume)',
    ]);
    expect(checkOverrides({ 'other.size_mb': '1', 'gone.x': '1' }, [scenario, other])).to.deep.equal([
      '--set other.size_mb: other has no input size_mb (it has: key_length)',
      '--set gone.x: scenario gone is not selected',
    ]);
  });

  it('parseSetArgs splits at the first =', () => {
    expect(parseSetArgs(['a=1', 'demo.b=x=y', 'c='])).to.deep.equal({ a: '1', 'demo.b': 'x=y', c: '' });
    expect(() => parseSetArgs(['novalue'])).to.throw(/--set novalue: expected key=value/);
    expect(() => parseSetArgs(['=3'])).to.throw(/expected key=value/);
  });

  it('interpolate fills every {{name}}, tolerates spaces, and refuses unknown names', () => {
    expect(interpolate('dd count={{size_mb}} of={{ out_dir }}/x to {{sink}}', { size_mb: 20, out_dir: '/tmp', sink: '10.0.0.3' })).to.equal(
      'dd count=20 of=/tmp/x to 10.0.0.3',
    );
    expect(interpolate('no templates', {})).to.equal('no templates');
    expect(() => interpolate('{{nope}}', { size_mb: 1 })).to.throw('unknown template reference {{nope}} in "{{nope}}"');
    expect(templateNames('{{a}} {{ b }} {c}')).to.deep.equal(['a', 'b']);
  });

  it('step environment: PURPLE_<INPUT> and PURPLE_<ROLE>', () => {
    const inputs = { size_mb: 20, flag: true };
    expect(scenarioEnv(inputs, { victim: '10.0.0.2', sink: '10.0.0.3' })).to.deep.equal({
      PURPLE_SIZE_MB: '20',
      PURPLE_FLAG: 'true',
      PURPLE_VICTIM: '10.0.0.2',
      PURPLE_SINK: '10.0.0.3',
    });
    expect(templateValues(inputs, { trusted: '10.0.0.4' })).to.deep.equal({ size_mb: 20, flag: true, trusted: '10.0.0.4' });
  });
});
