import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidParameterError } from '../../core/errors.js';
import { validateSysctls } from './sysctl-validation.js';

const allPrivate = { ipc: true, network: true, uts: true };
const hostIpc = { ...allPrivate, ipc: false };
const hostUts = { ...allPrivate, uts: false };
const refuses = (sysctls: Record<string, string>, ns: typeof allPrivate, message: string) =>
  assert.throws(
    () => validateSysctls(sysctls, ns),
    (err: unknown) => err instanceof InvalidParameterError && err.message === message,
  );

describe('validateSysctls', () => {
  it('allows IPC, mqueue, net and domainname keys in private namespaces', () => {
    validateSysctls(
      {
        'kernel.shmmax': '1',
        'kernel.msgmax': '1',
        'kernel.sem': '250 32000 100 128',
        'kernel.shm_rmid_forced': '1',
        'fs.mqueue.msg_max': '10',
        'net.ipv4.ip_forward': '1',
        'net.core.somaxconn': '1024',
        'kernel.domainname': 'example.com',
      },
      allPrivate,
    );
  });

  it('refuses IPC keys in the host IPC namespace', () => {
    refuses({ 'kernel.shmmax': '1' }, hostIpc, 'sysctl "kernel.shmmax" is not allowed in the hosts ipc namespace');
    const mq = 'fs.mqueue.queues_max';
    refuses({ [mq]: '1' }, hostIpc, `sysctl "${mq}" is not allowed in the hosts ipc namespace`);
  });

  it('refuses net.* in the host network namespace', () => {
    refuses(
      { 'net.ipv4.ip_forward': '1' },
      { ...allPrivate, network: false },
      'sysctl "net.ipv4.ip_forward" is not allowed in the hosts network namespace',
    );
  });

  it('refuses kernel.domainname with the host UTS namespace, and kernel.hostname always', () => {
    refuses({ 'kernel.domainname': 'x' }, hostUts, 'sysctl "kernel.domainname" is not in a separate kernel namespace');
    refuses(
      { 'kernel.hostname': 'x' },
      allPrivate,
      'sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field',
    );
  });

  it('refuses keys no namespace scopes', () => {
    refuses({ 'vm.swappiness': '10' }, allPrivate, 'sysctl "vm.swappiness" is not in a separate kernel namespace');
    refuses({ 'kernel.pid_max': '10' }, allPrivate, 'sysctl "kernel.pid_max" is not in a separate kernel namespace');
  });
});
