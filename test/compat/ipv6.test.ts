import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { run } from '../helpers/test-daemon.js';
import { pickTestNetwork } from '../helpers/test-network.js';
import { compatArea, ok, uniq } from './compat.js';

/** A TCP port free on ::1 now (the engine binds it next). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '::1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/**
 * Dual-stack user networks, the same on both engines: the subnets are given (dockerd 20.10 has
 * no default IPv6 pool) and unique to this run, so nothing of the host's is ever taken.
 */
compatArea('IPv6', (t) => {
  const SERVER = ['sh', '-c', 'mkdir -p /w && echo reached > /w/index.html && exec httpd -f -p 80 -h /w'];

  test('a container on an IPv6 network reaches another by name over IPv6, and the host reaches its published [::1]:port', async () => {
    const octet = (await pickTestNetwork()).octet;
    const net = uniq('v6net');
    const web = uniq('web6');
    const v6 = `fd00:c0:${octet.toString(16)}::`;
    ok(await t().docker(['network', 'create', '--ipv6', '--subnet', `10.${octet}.201.0/24`, '--subnet', `${v6}/64`, net]), 'network create --ipv6');
    try {
      const cfg = ok(await t().docker(['network', 'inspect', '-f', '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{end}}', net]), 'network inspect').stdout.trim();
      assert.equal(cfg, `true 10.${octet}.201.0/24 ${v6}/64`);
      const port = await freePort();
      ok(await t().docker(['run', '-d', '--name', web, '--network', net, '-p', `[::1]:${port}:80`, 'busybox', ...SERVER]), 'run web');
      const addr = ok(await t().docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").GlobalIPv6Address}}`, web]), 'inspect').stdout.trim();
      assert.ok(addr.startsWith(v6), `${addr} in ${v6}/64`);
      const members = ok(await t().docker(['network', 'inspect', '-f', '{{range .Containers}}{{.IPv6Address}}{{end}}', net]), 'network inspect').stdout.trim();
      assert.equal(members, `${addr}/64`);
      const ping = ok(await t().docker(['run', '--rm', '--network', net, 'busybox', 'ping', '-6', '-c', '1', '-W', '3', web]), 'ping -6 by name');
      assert.match(ping.stdout, new RegExp(`bytes from ${addr}`));
      assert.match(ok(await t().docker(['port', web]), 'docker port').stdout, new RegExp(`^80/tcp -> \\[::1\\]:${port}$`, 'm'));
      let body = '';
      for (let i = 0; i < 20 && !body.includes('reached'); i++) {
        body = (await run('curl', ['-s', '-g', '--max-time', '2', `http://[::1]:${port}/`])).stdout;
        if (!body.includes('reached')) await new Promise((r) => setTimeout(r, 250));
      }
      assert.match(body, /reached/, `the host reaches [::1]:${port}`);
    } finally {
      await t().docker(['rm', '-f', web]);
      await t().docker(['network', 'rm', net]);
    }
  });

  test('an IPv6 address asked for with --ip6 is the container\'s', async () => {
    const octet = (await pickTestNetwork()).octet;
    const net = uniq('v6ip');
    const c = uniq('fixed6');
    const v6 = `fd00:c1:${octet.toString(16)}::`;
    ok(await t().docker(['network', 'create', '--ipv6', '--subnet', `10.${octet}.202.0/24`, '--subnet', `${v6}/64`, net]), 'network create');
    try {
      ok(await t().docker(['run', '-d', '--name', c, '--network', net, '--ip6', `${v6}42`, 'busybox', 'sleep', '60']), 'run --ip6');
      const shown = ok(await t().docker(['exec', c, 'ip', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'global']), 'ip addr').stdout;
      assert.match(shown, new RegExp(`inet6 ${v6}42/64`));
      const route = ok(await t().docker(['exec', c, 'ip', '-6', 'route', 'show', 'default']), 'ip route').stdout;
      assert.match(route, new RegExp(`default via ${v6}1 dev eth0`));
    } finally {
      await t().docker(['rm', '-f', c]);
      await t().docker(['network', 'rm', net]);
    }
  });
});
