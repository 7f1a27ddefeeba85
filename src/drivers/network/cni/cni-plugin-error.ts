/**
 * A CNI plugin that failed or answered something Berth cannot read, as one typed error naming the
 * plugin, its network and config file, the pod, the command, the spec's error code and what to do.
 * The kind is `unavailable` when the plugin says to try again (code 11) or timed out, else `system`:
 * either way the host's network setup, not the request, is at fault.
 */
import { BerthError, type ErrorKind } from '../../../core/errors.js';
import { CNI_ERROR_CODES, type CniErrorOutput } from './cni-result.js';
import type { CniCommand } from './cni-invocation.js';

export interface CniPluginFailure {
  plugin: string;
  /** Where the binary is (absent when it was not found). */
  path?: string;
  network: string;
  /** The config file of the network (or a built-in network's label). */
  source: string;
  command: CniCommand;
  /** Whom it ran for, `namespace/name (sandbox 0123456789ab)`. */
  target: string;
  error: CniErrorOutput;
  timedOut?: boolean;
}

function hint(f: CniPluginFailure): string {
  if (f.timedOut) return `the plugin did not finish in time; look at what it waits for (its binary is ${f.path ?? f.plugin})`;
  switch (f.error.code) {
    case 1:
      return `the plugin does not run cniVersion of ${f.source}: upgrade the plugin or set a cniVersion it supports`;
    case 2:
    case 7:
      return `fix the plugin's configuration in ${f.source}`;
    case 11:
      return 'the plugin asks to try again later';
    case 50:
    case 51:
      return 'the network plugin is not ready (is its daemon running?)';
    default:
      return `see the plugin's message; its configuration is in ${f.source} and its binary is ${f.path ?? f.plugin}`;
  }
}

export class CniPluginError extends BerthError {
  readonly kind: ErrorKind;
  readonly plugin: string;
  readonly network: string;
  readonly command: CniCommand;
  /** The spec's error code the plugin gave, if any. */
  readonly code: number | undefined;
  readonly details: string | undefined;

  constructor(f: CniPluginFailure, options?: { cause?: unknown }) {
    const code = f.error.code;
    const meaning = code === undefined ? '' : ` (CNI error ${code}${CNI_ERROR_CODES[code] ? `: ${CNI_ERROR_CODES[code]}` : ''})`;
    const details = f.error.details ? `: ${f.error.details}` : '';
    super(`CNI plugin "${f.plugin}" of network "${f.network}" failed to ${f.command} ${f.target}: ${f.error.msg}${details}${meaning}; ${hint(f)}`, options);
    this.plugin = f.plugin;
    this.network = f.network;
    this.command = f.command;
    this.code = code;
    this.details = f.error.details;
    this.kind = code === 11 || f.timedOut ? 'unavailable' : 'system';
  }
}
