import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { linkEnv, parseLink } from './legacy-links.js';

describe('parseLink', () => {
  it('reads name:alias, a bare name, and inspect\'s /name:/parent/alias', () => {
    assert.deepEqual(parseLink('db:database'), { name: 'db', alias: 'database' });
    assert.deepEqual(parseLink('db'), { name: 'db', alias: 'db' });
    assert.deepEqual(parseLink('/db:/web/database'), { name: 'db', alias: 'database' });
    assert.throws(() => parseLink('a:b:c'), /bad format for links: a:b:c/);
    assert.throws(() => parseLink(''), /empty string specified for links/);
  });
});

describe('linkEnv (moby Link.ToEnv)', () => {
  it('names the lowest port first, lists each port, the name and the child env without HOME and PATH', () => {
    const env = linkEnv('/web/my-db', '10.0.0.2', ['FOO=1', 'PATH=/bin', 'HOME=/root', 'EQ=a=b', 'NOVALUE'], ['8081/udp', '8080/tcp']);
    assert.deepEqual(env, [
      'MY_DB_PORT=tcp://10.0.0.2:8080',
      'MY_DB_PORT_8080_TCP=tcp://10.0.0.2:8080', 'MY_DB_PORT_8080_TCP_ADDR=10.0.0.2', 'MY_DB_PORT_8080_TCP_PORT=8080', 'MY_DB_PORT_8080_TCP_PROTO=tcp',
      'MY_DB_PORT_8081_UDP=udp://10.0.0.2:8081', 'MY_DB_PORT_8081_UDP_ADDR=10.0.0.2', 'MY_DB_PORT_8081_UDP_PORT=8081', 'MY_DB_PORT_8081_UDP_PROTO=udp',
      'MY_DB_NAME=/web/my-db',
      'MY_DB_ENV_FOO=1', 'MY_DB_ENV_EQ=a=b',
    ]);
  });

  it('gives three or more contiguous ports START and END variables too', () => {
    const env = linkEnv('/p/c', '10.0.0.3', [], ['7000/tcp', '7001/tcp', '7002/tcp']);
    for (const v of ['C_PORT_7000_TCP_START=tcp://10.0.0.3:7000', 'C_PORT_7000_TCP_PORT_START=7000', 'C_PORT_7000_TCP_END=tcp://10.0.0.3:7002', 'C_PORT_7000_TCP_PORT_END=7002', 'C_PORT_7001_TCP=tcp://10.0.0.3:7001']) {
      assert.ok(env.includes(v), `${v} in ${env.join(' ')}`);
    }
    assert.ok(!linkEnv('/p/c', '10.0.0.3', [], ['7000/tcp', '7001/tcp']).some((v) => v.includes('_START')));
  });
});
