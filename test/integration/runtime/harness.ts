/**
 * The runtime conformance suite's fixture: one per runtime profile and test file. A busybox
 * rootfs (the host's static busybox, as the monitor tests make theirs) shared read-only by
 * every bundle, bundles built by the engine's own spec builder (docker's defaults), a private
 * runtime root and cgroup parent, and a ledger of every container and sandbox made, removed by
 * cleanup() even after a failure. Nothing is found or deleted by name pattern.
 *
 * BERTH_TEST_CGROUP_ROOT puts the cgroup parent under a cgroup of the caller's (helpers running
 * side by side keep apart that way); by default it sits at the hierarchy's top, as the test
 * daemons' do.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from '../../../src/core/run-command.js';
import type { CgroupDriver } from '../../../src/drivers/cgroups/cgroup-driver.js';
import { cgroupDriverFor, detectCgroupSupport } from '../../../src/drivers/cgroups/cgroup-support.js';
import { readMonitorPid } from '../../../src/drivers/monitor/monitor-client.js';
import { INIT_STATE, MonitoredOciRuntime } from '../../../src/drivers/runtime/monitored-oci-runtime.js';
import { OciRuntime } from '../../../src/drivers/runtime/oci-runtime.js';
import { mountToHideOnCreate } from '../../../src/drivers/runtime/runtime-catalog.js';
import { SeccompBpfCache } from '../../../src/drivers/runtime/seccomp-bpf-cache.js';
import { buildRuntimeSpec } from '../../../src/oci/runtime/build-spec.js';
import type { ContainerResources } from '../../../src/oci/runtime/container-spec-input.js';
import type { Process, RuntimeSpec } from '../../../src/oci/runtime/runtime-spec-types.js';
import { runtimeSpecToJson } from '../../../src/oci/runtime/spec-json.js';
import { removeCgroupParent } from '../../helpers/cgroups.js';
import { unmountUnder } from '../../helpers/mounts.js';
import { isRunningMonitor } from '../monitor/monitor-fixture.js';

/** Every case runs on each: Debian's crun and runc, at their installed paths. */
export const RUNTIMES = [
  { name: 'crun', binary: '/usr/bin/crun' },
  { name: 'runc', binary: '/usr/sbin/runc' },
] as const;

export interface TestBundle {
  id: string;
  bundle: string;
  cgroupsPath: string;
}

export interface BundleOptions {
  tty?: boolean;
  resources?: ContainerResources;
  /** Share the host's PID namespace: a signal's default action then applies (a namespace's init ignores it). */
  hostPid?: boolean;
  /** Rewrites the spec before it is written (a sandbox's join). */
  adapt?: (spec: RuntimeSpec) => RuntimeSpec;
}

export class RuntimeHarness {
  readonly runtime: MonitoredOciRuntime;
  private readonly ids = new Set<string>();
  private readonly bundles = new Map<string, string>();
  private readonly sandboxes = new Map<string, string>();
  private readonly runId = randomBytes(3).toString('hex');
  private count = 0;

  private constructor(readonly base: string, readonly rootfs: string, readonly profile: OciRuntime, readonly cgroupParent: string, private readonly cgroups: CgroupDriver) {
    this.runtime = this.newRuntime();
  }

  static async create(rt: (typeof RUNTIMES)[number]): Promise<RuntimeHarness> {
    const base = await mkdtemp(join(tmpdir(), `berth-test-rt-${rt.name}-`));
    const rootfs = join(base, 'rootfs');
    for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc']) await mkdir(join(rootfs, d), { recursive: true });
    await copyFile('/bin/busybox', join(rootfs, 'bin', 'busybox'));
    // `busybox --install` links to the host's path of busybox; these links stay inside the rootfs.
    const applets = (await runCommand('/bin/busybox', ['--list'])).stdout.split('\n').filter((a) => a !== '' && a !== 'busybox');
    for (const applet of applets) await symlink('busybox', join(rootfs, 'bin', applet));
    // A file that exists but cannot be executed: the runtime's "permission denied".
    await writeFile(join(rootfs, 'bin', 'not-executable'), '#!/bin/sh\n');
    await chmod(join(rootfs, 'bin', 'not-executable'), 0o644);
    const profile = new OciRuntime(rt.name, rt.binary, join(base, 'state'), await mountToHideOnCreate(rt.name), rt.name === 'crun' ? new SeccompBpfCache() : undefined);
    const parent = `${process.env.BERTH_TEST_CGROUP_ROOT ?? ''}/${basename(base)}`;
    return new RuntimeHarness(base, rootfs, profile, parent, cgroupDriverFor(await detectCgroupSupport()));
  }

  /** A runtime as a restarted daemon has it: same profile, no memory of any container. */
  newRuntime(): MonitoredOciRuntime {
    return new MonitoredOciRuntime(this.profile, { cgroups: this.cgroups });
  }

  nextId(what = 'c'): string {
    return `berth-test-rt-${this.runId}-${what}${++this.count}`;
  }

  /** A bundle running args as root in the read-only busybox rootfs. */
  async bundle(args: string[], opts: BundleOptions = {}): Promise<TestBundle> {
    const id = this.nextId();
    const bundle = join(this.base, 'bundles', id);
    await mkdir(bundle, { recursive: true });
    const cgroupsPath = `${this.cgroupParent}/${id}`;
    let spec = buildRuntimeSpec({
      rootfsPath: this.rootfs,
      readonlyRootfs: true,
      args,
      env: ['PATH=/bin'],
      user: { uid: 0, gid: 0 },
      tty: opts.tty ?? false,
      hostname: id.slice(-12),
      cgroupsPath,
      namespaces: { ...(this.cgroups.version === 1 ? { cgroup: 'host' as const } : {}), ...(opts.hostPid ? { pid: 'host' as const } : {}) },
      ...(opts.resources ? { resources: opts.resources } : {}),
    });
    if (opts.adapt) spec = opts.adapt(spec);
    spec = this.runtime.adaptSpec(id, spec);
    await writeFile(join(bundle, 'config.json'), runtimeSpecToJson(spec));
    this.ids.add(id);
    this.bundles.set(id, bundle);
    return { id, bundle, cgroupsPath };
  }

  /** The bundle's process with other args, as exec takes it. */
  async process(b: TestBundle, args: string[]): Promise<Process> {
    const spec = JSON.parse(await readFile(join(b.bundle, 'config.json'), 'utf8')) as RuntimeSpec;
    return { ...spec.process, args };
  }

  /** A sandbox's directory, recorded for cleanup before it is made. */
  sandboxDir(id: string): string {
    const dir = join(this.base, 'sandboxes', id);
    this.sandboxes.set(id, dir);
    return dir;
  }

  /** The runtime's own state directory for a container (both runtimes keep `<root>/<id>`). */
  stateDir(id: string): string {
    return join(this.profile.root, id);
  }

  async cleanup(): Promise<void> {
    const monitors: number[] = [];
    for (const [id, bundle] of this.bundles) {
      const pid = await readMonitorPid(join(bundle, INIT_STATE)).catch(() => undefined);
      if (pid !== undefined) monitors.push(pid);
      await this.profile.kill(id, 'KILL', true).catch(() => undefined);
      await this.profile.delete(id).catch(() => undefined);
    }
    for (const [id, dir] of this.sandboxes) await this.runtime.removeSandbox(id, dir).catch(() => undefined);
    // Monitors end with their containers; give them a moment, then kill any left (never by name).
    for (let i = 0; i < 30 && monitors.some(isRunningMonitor); i++) await sleep(100);
    for (const pid of monitors) if (isRunningMonitor(pid)) process.kill(pid, 'SIGKILL');
    await unmountUnder(this.base);
    await removeCgroupParent(this.cgroupParent);
    await rm(this.base, { recursive: true, force: true });
  }
}

/** The directory of a process's cgroup for a controller: v1 `<root>/<controller>/<path>`, else the v2 tree. */
export function cgroupDir(pid: number, controller: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  for (const line of lines) {
    const [, controllers, path] = line.split(':');
    if (controllers?.split(',').includes(controller)) return join('/sys/fs/cgroup', controller, path ?? '');
  }
  const unified = lines.find((l) => l.startsWith('0::'));
  if (!unified) throw new Error(`process ${pid} is in no ${controller} cgroup: ${lines.join('; ')}`);
  return join('/sys/fs/cgroup', unified.slice(3));
}

/** Everything a stream sends until it closes. */
export function collect(stream: Duplex | Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('close', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Resolves once the stream's output so far contains text. */
export function waitForText(stream: Duplex, text: string, timeoutMs = 10_000): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${JSON.stringify(text)} within ${timeoutMs} ms; got ${JSON.stringify(seen)}`)), timeoutMs);
    const onData = (c: Buffer): void => {
      seen += c.toString('utf8');
      if (seen.includes(text)) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(seen);
      }
    };
    stream.on('data', onData);
  });
}
