// A container's daemons are ready when their sockets are bound, read from the host's
// /proc/<pid>/net tables (no exec into the container, no sleep).
import { expect } from 'chai';
import { boundSockets, localEngineHost } from '../../harness/targets/engine-host.js';
import { IMAGE_DAEMONS } from '../../harness/host/recipes.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

describe('daemon readiness from /proc/<pid>/net', () => {
  it('reads listening TCP and bound UDP ports, not connected or closing sockets', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
      '   1: 0B00A8C0:0016 0C00A8C0:D431 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
      '   2: 00000000:0015 00000000:0000 06 00000000:00000000 00:00000000 00000000     0        0 3 1',
    ].join('\n');
    const udp = ['  sl  local_address rem_address   st', '  7: 00000000:0045 00000000:0000 07 00000000:00000000'].join('\n');
    expect(boundSockets(tcp, 'tcp')).to.deep.equal(['tcp/22']);
    expect(boundSockets(udp, 'udp')).to.deep.equal(['udp/69']);
    expect(boundSockets('', 'tcp')).to.deep.equal([]);
  });

  it('sees a socket this process listens on, and fails for a process that is gone', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expect(await localEngineHost.listening!(process.pid)).to.include(`tcp/${port}`);
    } finally {
      server.close();
    }
    await localEngineHost.listening!(2 ** 22 + 7).then(
      () => expect.fail('a missing pid must fail'),
      (err: Error) => expect(err.message).to.match(/ENOENT/),
    );
  });

  it("the sink's expected sockets are the ones its init starts", () => {
    const init = readFileSync(fileURLToPath(new URL('../../../containers/images/sink/purple-init', import.meta.url)), 'utf8');
    expect(init).to.match(/sshd/).and.match(/vsftpd/).and.match(/in\.tftpd .*:69/);
    expect(IMAGE_DAEMONS.sink).to.have.members(['tcp/22', 'tcp/21', 'udp/69']);
  });
});
