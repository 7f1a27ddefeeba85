/**
 * The flags `docker run --help` / `docker create --help` list, declared on a commander command.
 * Parsing stops at the image (passThroughOptions), so `berth run img sh -c 'x -y'` hands `-c`
 * to the container. Repeated flags collect into lists. Values stay strings here; run-options
 * validates and converts them, so errors come out as docker prints them.
 */
import { Option, type Command } from 'commander';
import { collect } from '../command-kit.js';
import { acceptBooleanValues } from './run-bool-flags.js';

/** What commander hands the action: one property per flag (camel-cased long name). */
export interface RunFlags {
  addHost?: string[]; annotation?: string[]; attach?: string[];
  blkioWeight?: string; blkioWeightDevice?: string[];
  capAdd?: string[]; capDrop?: string[]; cgroupParent?: string; cgroupns?: string; cidfile?: string;
  cpuCount?: string; cpuPercent?: string; cpuPeriod?: string; cpuQuota?: string; cpuRtPeriod?: string; cpuRtRuntime?: string;
  cpuShares?: string; cpus?: string; cpusetCpus?: string; cpusetMems?: string;
  detach?: boolean; detachKeys?: string;
  device?: string[]; deviceCgroupRule?: string[];
  deviceReadBps?: string[]; deviceReadIops?: string[]; deviceWriteBps?: string[]; deviceWriteIops?: string[];
  dns?: string[]; dnsOption?: string[]; dnsOpt?: string[]; dnsSearch?: string[]; domainname?: string;
  entrypoint?: string; env?: string[]; envFile?: string[]; expose?: string[];
  gpus?: string; groupAdd?: string[];
  healthCmd?: string; healthInterval?: string; healthOnFailure?: string; healthRetries?: string; healthStartPeriod?: string; healthStartInterval?: string;
  healthTimeout?: string; healthcheck?: boolean;
  hostname?: string; init?: boolean; interactive?: boolean; ip?: string; ip6?: string; ipc?: string; isolation?: string; kernelMemory?: string;
  label?: string[]; labelFile?: string[]; link?: string[]; linkLocalIp?: string[]; logDriver?: string; logOpt?: string[];
  macAddress?: string; memory?: string; memoryReservation?: string; memorySwap?: string; memorySwappiness?: string; mount?: string[];
  name?: string; network?: string[]; net?: string[]; networkAlias?: string[]; netAlias?: string[];
  oomKillDisable?: boolean; oomScoreAdj?: string; pid?: string; pidsLimit?: string; platform?: string; privileged?: boolean;
  publish?: string[]; publishAll?: boolean; pull?: string; quiet?: boolean; readOnly?: boolean; restart?: string; rm?: boolean;
  runtime?: string; securityOpt?: string[]; shmSize?: string; sigProxy?: boolean; stopSignal?: string; stopTimeout?: string;
  storageOpt?: string[]; sysctl?: string[]; tmpfs?: string[]; tty?: boolean; ulimit?: string[]; user?: string; userns?: string;
  uts?: string; volume?: string[]; volumeDriver?: string; volumesFrom?: string[]; workdir?: string;
}

type FlagDef = [flags: string, description: string, kind?: 'list' | 'hidden-list' | 'hidden'];

const CONTAINER_FLAGS: FlagDef[] = [
  ['--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', 'list'],
  ['--annotation <map>', 'Add an annotation to the container (passed through to the OCI runtime)', 'list'],
  ['-a, --attach <list>', 'Attach to STDIN, STDOUT or STDERR', 'list'],
  ['--blkio-weight <uint16>', 'Block IO (relative weight), between 10 and 1000, or 0 to disable'],
  ['--blkio-weight-device <list>', 'Block IO weight (relative device weight)', 'list'],
  ['--cap-add <list>', 'Add Linux capabilities', 'list'],
  ['--cap-drop <list>', 'Drop Linux capabilities', 'list'],
  ['--cgroup-parent <string>', 'Optional parent cgroup for the container'],
  ['--cgroupns <string>', 'Cgroup namespace to use (host|private)'],
  ['--cidfile <string>', 'Write the container ID to the file'],
  ['--cpu-count <int>', 'CPU count (Windows only)', 'hidden'],
  ['--cpu-percent <int>', 'CPU percent (Windows only)', 'hidden'],
  ['--cpu-period <int>', 'Limit CPU CFS (Completely Fair Scheduler) period'],
  ['--cpu-quota <int>', 'Limit CPU CFS (Completely Fair Scheduler) quota'],
  ['--cpu-rt-period <int>', 'Limit CPU real-time period in microseconds'],
  ['--cpu-rt-runtime <int>', 'Limit CPU real-time runtime in microseconds'],
  ['-c, --cpu-shares <int>', 'CPU shares (relative weight)'],
  ['--cpus <decimal>', 'Number of CPUs'],
  ['--cpuset-cpus <string>', 'CPUs in which to allow execution (0-3, 0,1)'],
  ['--cpuset-mems <string>', 'MEMs in which to allow execution (0-3, 0,1)'],
  ['--device <list>', 'Add a host device to the container', 'list'],
  ['--device-cgroup-rule <list>', 'Add a rule to the cgroup allowed devices list', 'list'],
  ['--device-read-bps <list>', 'Limit read rate (bytes per second) from a device', 'list'],
  ['--device-read-iops <list>', 'Limit read rate (IO per second) from a device', 'list'],
  ['--device-write-bps <list>', 'Limit write rate (bytes per second) to a device', 'list'],
  ['--device-write-iops <list>', 'Limit write rate (IO per second) to a device', 'list'],
  ['--disable-content-trust', 'Skip image verification (always: Berth has no content trust)'],
  ['--dns <list>', 'Set custom DNS servers', 'list'],
  ['--dns-option <list>', 'Set DNS options', 'list'],
  ['--dns-opt <list>', 'Set DNS options', 'hidden-list'],
  ['--dns-search <list>', 'Set custom DNS search domains', 'list'],
  ['--domainname <string>', 'Container NIS domain name'],
  ['--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image'],
  ['-e, --env <list>', 'Set environment variables', 'list'],
  ['--env-file <list>', 'Read in a file of environment variables', 'list'],
  ['--expose <list>', 'Expose a port or a range of ports', 'list'],
  ['--gpus <gpu-request>', "GPU devices to add to the container ('all' to pass all GPUs)"],
  ['--group-add <list>', 'Add additional groups to join', 'list'],
  ['--health-cmd <string>', 'Command to run to check health'],
  ['--health-interval <duration>', 'Time between running the check (ms|s|m|h) (default 0s)'],
  ['--health-on-failure <action>', "Action when the container turns unhealthy: none, kill, restart or stop (podman's; the label berth.health-on-failure)"],
  ['--health-retries <int>', 'Consecutive failures needed to report unhealthy'],
  ['--health-start-interval <duration>', 'Time between running the check during the start period (ms|s|m|h) (default 0s)'],
  ['--health-start-period <duration>', 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)'],
  ['--health-timeout <duration>', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)'],
  ['-h, --hostname <string>', 'Container host name'],
  ['--init', 'Run an init inside the container that forwards signals and reaps processes'],
  ['-i, --interactive', 'Keep STDIN open even if not attached'],
  ['--ip <string>', 'IPv4 address (e.g., 172.30.100.104)'],
  ['--ip6 <string>', 'IPv6 address (e.g., 2001:db8::33)'],
  ['--ipc <string>', 'IPC mode to use'],
  ['--isolation <string>', 'Container isolation technology'],
  ['--kernel-memory <bytes>', 'Kernel memory limit (deprecated, ignored)', 'hidden'],
  ['-l, --label <list>', 'Set meta data on a container', 'list'],
  ['--label-file <list>', 'Read in a line delimited file of labels', 'list'],
  ['--link <list>', 'Add link to another container', 'list'],
  ['--link-local-ip <list>', 'Container IPv4/IPv6 link-local addresses', 'list'],
  ['--log-driver <string>', 'Logging driver for the container'],
  ['--log-opt <list>', 'Log driver options', 'list'],
  ['--mac-address <string>', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)'],
  ['-m, --memory <bytes>', 'Memory limit'],
  ['--memory-reservation <bytes>', 'Memory soft limit'],
  ['--memory-swap <bytes>', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap"],
  ['--memory-swappiness <int>', 'Tune container memory swappiness (0 to 100) (default -1)'],
  ['--mount <mount>', 'Attach a filesystem mount to the container', 'list'],
  ['--name <string>', 'Assign a name to the container'],
  ['--network <network>', 'Connect a container to a network', 'list'],
  ['--net <network>', 'Connect a container to a network', 'hidden-list'],
  ['--network-alias <list>', 'Add network-scoped alias for the container', 'list'],
  ['--net-alias <list>', 'Add network-scoped alias for the container', 'hidden-list'],
  ['--no-healthcheck', 'Disable any container-specified HEALTHCHECK'],
  ['--oom-kill-disable', 'Disable OOM Killer'],
  ['--oom-score-adj <int>', "Tune host's OOM preferences (-1000 to 1000)"],
  ['--pid <string>', 'PID namespace to use'],
  ['--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)'],
  ['--platform <string>', 'Set platform if server is multi-platform capable'],
  ['--privileged', 'Give extended privileges to this container'],
  ['-p, --publish <list>', "Publish a container's port(s) to the host", 'list'],
  ['-P, --publish-all', 'Publish all exposed ports to random ports'],
  ['--pull <string>', 'Pull image before running ("always", "missing", "never") (default "missing")'],
  ['-q, --quiet', 'Suppress the pull output'],
  ['--read-only', "Mount the container's root filesystem as read only"],
  ['--restart <string>', 'Restart policy to apply when a container exits (default "no")'],
  ['--rm', 'Automatically remove the container and its associated anonymous volumes when it exits'],
  ['--runtime <string>', 'Runtime to use for this container'],
  ['--security-opt <list>', 'Security Options', 'list'],
  ['--shm-size <bytes>', 'Size of /dev/shm'],
  ['--stop-signal <string>', 'Signal to stop the container'],
  ['--stop-timeout <int>', 'Timeout (in seconds) to stop a container'],
  ['--storage-opt <list>', 'Storage driver options for the container', 'list'],
  ['--sysctl <map>', 'Sysctl options', 'list'],
  ['--tmpfs <list>', 'Mount a tmpfs directory', 'list'],
  ['-t, --tty', 'Allocate a pseudo-TTY'],
  ['--ulimit <ulimit>', 'Ulimit options', 'list'],
  ['-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])'],
  ['--userns <string>', 'User namespace to use'],
  ['--uts <string>', 'UTS namespace to use'],
  ['-v, --volume <list>', 'Bind mount a volume', 'list'],
  ['--volume-driver <string>', 'Optional volume driver for the container'],
  ['--volumes-from <list>', 'Mount volumes from the specified container(s)', 'list'],
  ['-w, --workdir <string>', 'Working directory inside the container'],
];

const RUN_ONLY_FLAGS: FlagDef[] = [
  ['-d, --detach', 'Run container in background and print container ID'],
  ['--detach-keys <string>', 'Override the key sequence for detaching a container'],
  ['--sig-proxy', 'Proxy received signals to the process (default true)'],
  ['--no-sig-proxy', 'Do not proxy received signals to the process', 'hidden'],
];

function addFlag(cmd: Command, [flags, description, kind]: FlagDef): void {
  const opt = new Option(flags, description);
  if (kind === 'list' || kind === 'hidden-list') opt.argParser(collect);
  if (kind === 'hidden' || kind === 'hidden-list') opt.hideHelp();
  cmd.addOption(opt);
}

/**
 * Declares the container flags on `cmd` (`run` also gets -d, --detach-keys, --sig-proxy).
 * `-h` is the hostname here, so help is `--help` only, as in docker.
 */
export function addContainerFlags(cmd: Command, run: boolean): Command {
  cmd.helpOption('--help', 'Print usage').passThroughOptions();
  for (const def of run ? [...RUN_ONLY_FLAGS, ...CONTAINER_FLAGS] : CONTAINER_FLAGS) addFlag(cmd, def);
  acceptBooleanValues(cmd);
  return cmd;
}
