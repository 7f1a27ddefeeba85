import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidParameterError } from '../../core/errors.js';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import type { LinuxSeccomp } from './runtime-spec-types.js';
import {
  buildSeccompSection,
  DOCKER_DEFAULT_SECCOMP_PROFILE,
  parseSeccompProfile,
  seccompNativeArch,
} from './seccomp-profile.js';

const DEFAULT = DOCKER_DEFAULT_SECCOMP_PROFILE;

const amd64 = (caps: readonly string[] = DEFAULT_CAPABILITIES, kernelRelease?: string): LinuxSeccomp => {
  const opts = { arch: 'amd64', capabilities: caps };
  const out = buildSeccompSection(DEFAULT, kernelRelease ? { ...opts, kernelRelease } : opts);
  assert.ok(out);
  return out;
};
const rulesFor = (s: LinuxSeccomp, name: string) => (s.syscalls ?? []).filter((r) => r.names.includes(name));
const allowsUnconditionally = (s: LinuxSeccomp, name: string) =>
  rulesFor(s, name).some((r) => r.action === 'SCMP_ACT_ALLOW' && r.args === undefined);

describe('docker default seccomp profile', () => {
  it('denies with EPERM by default and lists amd64 with its sub-architectures', () => {
    const s = amd64();
    assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(s.defaultErrnoRet, 1);
    assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    assert.ok(allowsUnconditionally(s, 'read'));
    assert.ok(allowsUnconditionally(s, 'arch_prctl'));
  });

  it('allows clone only without namespace flags and makes clone3 fail with ENOSYS (no CAP_SYS_ADMIN)', () => {
    const s = amd64();
    const clone = rulesFor(s, 'clone');
    assert.equal(clone.length, 1);
    assert.deepEqual(clone[0]?.args, [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }]);
    assert.deepEqual(rulesFor(s, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
    assert.ok(!allowsUnconditionally(s, 'mount'));
    assert.ok(!allowsUnconditionally(s, 'unshare'));
  });

  it('with CAP_SYS_ADMIN allows clone, clone3 and mount outright', () => {
    const s = amd64([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    assert.ok(allowsUnconditionally(s, 'clone'));
    assert.ok(rulesFor(s, 'clone').every((r) => r.args === undefined));
    assert.ok(allowsUnconditionally(s, 'clone3'));
    assert.ok(rulesFor(s, 'clone3').every((r) => r.action === 'SCMP_ACT_ALLOW'));
    assert.ok(allowsUnconditionally(s, 'mount'));
  });

  it('gates ptrace on kernel 4.8, and kcmp and friends on CAP_SYS_PTRACE', () => {
    assert.ok(allowsUnconditionally(amd64(), 'ptrace'));
    assert.ok(!allowsUnconditionally(amd64(DEFAULT_CAPABILITIES, '4.4.0-210-generic'), 'ptrace'));
    assert.ok(allowsUnconditionally(amd64(DEFAULT_CAPABILITIES, '6.8.0-45-generic'), 'ptrace'));
    assert.ok(!allowsUnconditionally(amd64(), 'kcmp'));
    assert.ok(allowsUnconditionally(amd64([...DEFAULT_CAPABILITIES, 'CAP_SYS_PTRACE']), 'kcmp'));
  });

  it('keeps chroot only while CAP_SYS_CHROOT is in the bounding set', () => {
    assert.ok(allowsUnconditionally(amd64(), 'chroot'));
    assert.ok(!allowsUnconditionally(amd64(DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT')), 'chroot'));
  });

  it('uses the s390x clone argument order and arch list on s390x', () => {
    const s = buildSeccompSection(DEFAULT, { arch: 's390x', capabilities: DEFAULT_CAPABILITIES });
    assert.deepEqual(s?.architectures, ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390']);
    const clone = (s?.syscalls ?? []).filter((r) => r.names.includes('clone'));
    assert.deepEqual(clone.map((r) => r.args?.[0]?.index), [1]);
    assert.ok(!(s?.syscalls ?? []).some((r) => r.names.includes('arch_prctl')));
  });

  it('lists AArch64 with ARM on arm64, and no architectures for an arch the profile does not map', () => {
    const arm = buildSeccompSection(DEFAULT, { arch: seccompNativeArch('arm64'), capabilities: [] });
    assert.deepEqual(arm?.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    const ppc = buildSeccompSection(DEFAULT, { arch: seccompNativeArch('ppc64'), capabilities: [] });
    assert.equal(ppc?.architectures, undefined);
    assert.ok((ppc?.syscalls ?? []).some((r) => r.names.includes('sync_file_range2')));
  });

  it('maps Node arch names to libseccomp names', () => {
    assert.equal(seccompNativeArch('x64'), 'amd64');
    assert.equal(seccompNativeArch('ia32'), 'x86');
    assert.equal(seccompNativeArch('arm64'), 'arm64');
  });
});

const rule = (r: object) => JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [r] });

describe('custom seccomp profiles', () => {
  it('accepts the legacy single "name" form and plain architectures', () => {
    const p = parseSeccompProfile(
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [{ name: 'mkdir', action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
      }),
    );
    assert.deepEqual(buildSeccompSection(p, { arch: 'amd64', capabilities: [] }), {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
    });
  });

  it('treats a profile with no default action and no rules as "seccomp off"', () => {
    assert.equal(buildSeccompSection(parseSeccompProfile('{}'), { arch: 'amd64', capabilities: [] }), undefined);
  });

  it('refuses malformed profiles with InvalidParameterError', () => {
    const bad = [
      'not json',
      '{"defaultAction":"SCMP_ACT_NOPE"}',
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]}',
      rule({ names: ['a'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4' } }),
      rule({ names: ['a'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'EQ' }] }),
    ];
    for (const text of bad) {
      assert.throws(() => parseSeccompProfile(text), InvalidParameterError, text);
    }
  });

  it('refuses a profile that sets both architectures and archMap', () => {
    const p = parseSeccompProfile(
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: ['SCMP_ARCH_X86_64'],
        archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: null }],
      }),
    );
    const build = () => buildSeccompSection(p, { arch: 'amd64', capabilities: [] });
    assert.throws(build, /both 'architectures' and 'archMap'/);
  });
});
