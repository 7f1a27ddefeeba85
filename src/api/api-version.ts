import { InvalidParameterError } from '../core/errors.js';

/** Newest API version Berth speaks: what the docker CLI v28.2 uses. */
export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.24';

export function versionNumber(v: string): number {
  const [major, minor] = v.split('.').map(Number);
  return (major ?? 0) * 1000 + (minor ?? 0);
}

/**
 * The version as the number routes compare with literals (`apiVersion < 1.42`): "1.41" is 1.41,
 * "1.50" is 1.5. Parsed from the two-digit minor so each is exactly the literal's double.
 */
export function apiVersionNumber(v: string): number {
  const [major, minor] = v.split('.').map(Number);
  return Number(`${major ?? 0}.${String(minor ?? 0).padStart(2, '0')}`);
}

const VERSIONED = /^\/v(\d+\.\d+)(\/.*)$/;

/** Splits `/v1.50/images/json` into version and path; unversioned paths get the newest version. */
export function splitVersion(path: string): { version: string; path: string } {
  const m = VERSIONED.exec(path);
  if (!m) {
    if (/^\/v[0-9]/.test(path)) throw new InvalidParameterError(`invalid API version in path "${path}"`);
    return { version: API_VERSION, path };
  }
  const version = m[1] as string;
  const n = versionNumber(version);
  if (n > versionNumber(API_VERSION)) {
    throw new InvalidParameterError(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  if (n < versionNumber(MIN_API_VERSION)) {
    throw new InvalidParameterError(`client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  return { version, path: m[2] as string };
}
