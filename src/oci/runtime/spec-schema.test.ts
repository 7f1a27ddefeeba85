import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRuntimeSpec, type ContainerSpecInput } from './build-spec.js';
import { OCI_RUNTIME_SPEC_VERSION } from './runtime-spec-types.js';
import { runtimeSpecToJson } from './spec-json.js';
import { ociConfigSchemaErrors } from './testdata/oci-schema-validator.js';

const map = [{ containerID: 0, hostID: 100000, size: 65536 }];

/** A spread of configurations that touch every section the builder writes. */
const cases: Record<string, ContainerSpecInput> = {
  minimal: { rootfsPath: '/rootfs', args: ['true'], user: { uid: 0, gid: 0 } },
  everything: {
    rootfsPath: '/var/lib/berth/c/rootfs',
    args: ['/app', '--serve'],
    env: ['A=1'],
    cwd: '/srv',
    user: { uid: 1000, gid: 1000, additionalGids: [1000, 4], umask: 0o22 },
    tty: true,
    consoleSize: { height: 40, width: 120 },
    hostname: 'web',
    domainname: 'example.org',
    namespaces: { user: 'private', net: { path: '/run/netns/x' } },
    uidMappings: map,
    gidMappings: map,
    capAdd: ['NET_ADMIN'],
    capDrop: ['MKNOD'],
    readonlyRootfs: true,
    noNewPrivileges: true,
    cgroupsPath: 'system.slice:berth:c',
    resources: { memory: 1 << 28, memorySwap: 1 << 29, cpuShares: 256, nanoCpus: 5e8, pidsLimit: 64, blkioWeight: 500 },
    deviceCgroupRules: ['c 10:200 rwm'],
    ulimits: [
      { name: 'nofile', soft: 1024, hard: 4096 },
      { name: 'core', soft: -1, hard: -1 },
    ],
    sysctls: { 'net.ipv4.tcp_keepalive_time': '60', 'fs.mqueue.msg_max': '20' },
    mounts: [
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate'] },
    ],
    init: '/usr/bin/docker-init',
    oomScoreAdj: -500,
    hostsFile: '/c/hosts',
    resolvConf: '/c/resolv.conf',
    hostnameFile: '/c/hostname',
    annotations: { 'org.example': 'yes' },
  },
  privileged: {
    rootfsPath: '/rootfs',
    args: ['sh'],
    user: { uid: 0, gid: 0 },
    privileged: true,
    namespaces: { net: 'host' },
  },
};

describe('generated config.json against the OCI schema', () => {
  for (const [name, input] of Object.entries(cases)) {
    it(`${name}: validates and has the fields Linux runtimes require`, () => {
      const json = runtimeSpecToJson(buildRuntimeSpec(input), 2);
      const config: unknown = JSON.parse(json);
      assert.deepEqual(ociConfigSchemaErrors(config), []);
      const c = config as { ociVersion: string; root: { path: string }; process: { args: string[]; cwd: string } };
      assert.equal(c.ociVersion, OCI_RUNTIME_SPEC_VERSION);
      assert.match(c.ociVersion, /^1\.[0-2]\.\d+$/, 'a version both crun 1.8 and runc accept');
      assert.ok(c.root.path.length > 0);
      assert.ok(c.process.args.length > 0, 'process.args is REQUIRED on Linux (config.md)');
      assert.ok(c.process.cwd.startsWith('/'), 'cwd must be absolute');
    });
  }

  it('the validator itself catches violations', () => {
    assert.deepEqual(ociConfigSchemaErrors({}), ['$: missing required "ociVersion"']);
    const errors = ociConfigSchemaErrors({
      ociVersion: '1.2.0',
      root: {},
      process: { cwd: '/', rlimits: [{ type: 'nofile', soft: 1, hard: 1 }] },
      linux: { namespaces: [{ type: 'bogus' }], resources: { blockIO: { weight: 70000 } } },
    });
    assert.equal(errors.length, 4, errors.join('\n'));
  });
});
