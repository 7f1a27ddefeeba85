/**
 * Running a network's plugin list, libcni's AddNetworkList / DelNetworkList / CheckNetworkList:
 * ADD in order, each plugin getting the previous one's result; DEL in reverse order, each getting
 * the cached ADD result (spec 0.4.0 and later); CHECK in order with it. A failing plugin is a
 * CniPluginError naming it; it stops an ADD or CHECK, and a DEL after the others ran.
 */
import { errnoCode, errorMessage, UnavailableError } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import { compareCniVersions, type CniNetworkConfig } from './cni-config.js';
import { execPlugin, findPlugin } from './cni-exec.js';
import { pluginEnv, pluginStdin, type CniCommand, type CniRuntimeConf } from './cni-invocation.js';
import { CniPluginError } from './cni-plugin-error.js';
import { parseCniError, parseCniResult, type CniResult } from './cni-result.js';

export interface CniInvoker {
  binDirs: readonly string[];
  /** The environment plugins inherit (the daemon's); the CNI_* variables are set over it. */
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  log?: Logger | undefined;
}

/** Whom a call is for, in messages: `kube-system/coredns (sandbox 0123456789ab)`. */
export type CniTarget = string;

async function runPlugin(inv: CniInvoker, list: CniNetworkConfig, index: number, command: CniCommand, prevResult: Record<string, unknown> | undefined, rt: CniRuntimeConf, target: CniTarget): Promise<CniResult | undefined> {
  const plugin = list.plugins[index]!;
  const path = await findPlugin(plugin.type, inv.binDirs);
  if (!path) {
    throw new UnavailableError(`CNI plugin "${plugin.type}" of network "${list.name}" (${list.source}) is not in ${inv.binDirs.join(', ')}: install it (Debian's containernetworking-plugins has the standard ones, a cluster's network add-on installs its own) or fix the config`);
  }
  const failure = { plugin: plugin.type, path, network: list.name, source: list.source, command, target };
  const stdin = pluginStdin(list, plugin, prevResult, rt);
  const started = Date.now();
  let run;
  try {
    run = await execPlugin(path, stdin, pluginEnv(command, rt, inv.binDirs, inv.env), inv.timeoutMs);
  } catch (err) {
    throw new CniPluginError({ ...failure, error: { msg: `cannot run ${path}: ${errorMessage(err)}${errnoCode(err) === 'EACCES' ? ' (is it executable?)' : ''}` } }, { cause: err });
  }
  // libcni passes a plugin's stderr to the runtime's: here it goes to the log, with the failure when there is one.
  const stderr = run.stderr.trim() ? { stderr: run.stderr.trim().slice(0, 2000) } : {};
  const fields = { plugin: plugin.type, network: list.name, command, ifName: rt.ifName, sandbox: rt.containerId, ms: Date.now() - started, ...stderr };
  if (run.code !== 0 || run.timedOut) inv.log?.warn(fields, 'CNI plugin failed');
  else inv.log?.debug(fields, 'CNI plugin ran');
  if (run.timedOut) throw new CniPluginError({ ...failure, timedOut: true, error: { msg: `killed after ${inv.timeoutMs} ms` } });
  if (run.code !== 0) throw new CniPluginError({ ...failure, error: parseCniError(run.stdout, run.stderr, run.exit) });
  if (command !== 'ADD') return undefined;
  try {
    return parseCniResult(run.stdout, list.cniVersion);
  } catch (err) {
    throw new CniPluginError({ ...failure, error: { msg: `returned a result Berth cannot read: ${errorMessage(err)}` } }, { cause: err });
  }
}

/** ADD through the list; the last plugin's result is the network's. */
export async function addNetworkList(inv: CniInvoker, list: CniNetworkConfig, rt: CniRuntimeConf, target: CniTarget): Promise<CniResult> {
  let result: CniResult | undefined;
  for (let i = 0; i < list.plugins.length; i++) result = await runPlugin(inv, list, i, 'ADD', result?.raw, rt, target);
  return result!;
}

/** Whether this spec version passes the cached result to DEL and CHECK (0.4.0 on). */
export function takesPrevResultOnDel(cniVersion: string): boolean {
  return compareCniVersions(cniVersion, '0.4.0') >= 0;
}

/**
 * DEL in reverse order; `cached` is the ADD's result, given to plugins of spec 0.4.0 and later.
 * Unlike libcni, a plugin whose DEL fails does not keep the ones before it from releasing what
 * they hold (an address lease, a veth): every plugin runs, and the first failure is thrown after.
 * DEL is idempotent, so the retry that follows runs them all again harmlessly.
 */
export async function delNetworkList(inv: CniInvoker, list: CniNetworkConfig, rt: CniRuntimeConf, cached: Record<string, unknown> | undefined, target: CniTarget): Promise<void> {
  const prev = takesPrevResultOnDel(list.cniVersion) ? cached : undefined;
  let first: unknown;
  for (let i = list.plugins.length - 1; i >= 0; i--) {
    try {
      await runPlugin(inv, list, i, 'DEL', prev, rt, target);
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}

/** CHECK in order (spec 0.4.0 and later, unless the list disables it); needs the ADD's result. */
export async function checkNetworkList(inv: CniInvoker, list: CniNetworkConfig, rt: CniRuntimeConf, cached: Record<string, unknown> | undefined, target: CniTarget): Promise<void> {
  if (!takesPrevResultOnDel(list.cniVersion) || list.disableCheck) return;
  if (!cached) throw new UnavailableError(`cannot CHECK network "${list.name}" of ${target}: no result of its ADD is cached`);
  for (let i = 0; i < list.plugins.length; i++) await runPlugin(inv, list, i, 'CHECK', cached, rt, target);
}
