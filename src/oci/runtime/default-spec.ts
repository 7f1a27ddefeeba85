/**
 * docker's Linux defaults for a container's runtime spec (moby daemon/pkg/oci/defaults.go).
 * Functions return fresh objects: buildRuntimeSpec edits them in place.
 */
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import {
  OCI_RUNTIME_SPEC_VERSION,
  type LinuxDeviceCgroup,
  type Mount,
  type NamespaceType,
  type RuntimeSpec,
} from './runtime-spec-types.js';

/** PATH when neither the image nor the user sets one. */
export const DEFAULT_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** `--shm-size` when unset: 64 MiB (docker's config.DefaultShmSize). */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

/** Where docker puts the `--init` binary inside the container. */
export const CONTAINER_INIT_PATH = '/sbin/docker-init';

/**
 * Paths the runtime hides (bind-mounts /dev/null or an empty tmpfs over them): they leak
 * host information or allow host-wide changes. Docker also masks each
 * /sys/devices/system/cpu/cpuN/thermal_throttle that exists on the host; finding those is
 * I/O, so the caller adds them through `maskedPaths` if it wants them.
 */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/devices/virtual/powercap',
  '/sys/firmware',
];

/** Paths the runtime remounts read-only: writing them would change the host kernel. */
export const DEFAULT_READONLY_PATHS: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/** The namespaces a default container gets, in docker's order; later ones are appended. */
export const DEFAULT_NAMESPACES: readonly NamespaceType[] = ['mount', 'network', 'uts', 'pid', 'ipc'];

/**
 * The filesystems every container gets. /dev/shm's size option is added per container
 * from `--shm-size`.
 */
export function defaultMounts(): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['ro', 'nosuid', 'noexec', 'nodev'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777'] },
  ];
}

const allowChar = (major: number, minor: number): LinuxDeviceCgroup => ({
  allow: true,
  type: 'c',
  major,
  minor,
  access: 'rwm',
});

/**
 * docker's devices-cgroup rules: deny everything, then allow the standard nodes (zero,
 * null, urandom, random, tty, console) and deny fuse (10:229) explicitly. runc and crun
 * append their own defaults after these (mknod of any c/b node, full, /dev/pts/*, ptmx,
 * tun), which is why docker does not list those here.
 */
export function defaultDeviceCgroupRules(): LinuxDeviceCgroup[] {
  return [
    { allow: false, access: 'rwm' },
    allowChar(1, 5),
    allowChar(1, 3),
    allowChar(1, 9),
    allowChar(1, 8),
    allowChar(5, 0),
    allowChar(5, 1),
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  ];
}

/**
 * The spec docker starts from before applying a container's settings: default
 * capabilities, mounts, masked and read-only paths, namespaces and device rules. Process
 * args, root path and user are placeholders the builder fills in.
 */
export function defaultRuntimeSpec(): RuntimeSpec {
  return {
    ociVersion: OCI_RUNTIME_SPEC_VERSION,
    process: {
      user: { uid: 0, gid: 0 },
      args: [],
      env: [],
      cwd: '/',
      capabilities: {
        bounding: [...DEFAULT_CAPABILITIES],
        effective: [...DEFAULT_CAPABILITIES],
        permitted: [...DEFAULT_CAPABILITIES],
      },
    },
    root: { path: '' },
    mounts: defaultMounts(),
    linux: {
      resources: { devices: defaultDeviceCgroupRules() },
      namespaces: DEFAULT_NAMESPACES.map((type) => ({ type })),
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
}
