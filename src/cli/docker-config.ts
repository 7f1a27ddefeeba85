import { spawn } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Docker Hub's key in config.json, as the docker CLI writes it. */
export const HUB_KEY = 'https://index.docker.io/v1/';

export interface AuthEntry {
  username: string;
  password: string;
  serveraddress: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`: the docker CLI's file, shared with it. */
export function configPath(): string {
  return join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

/** The config.json key of a registry: docker.io's is the v1 index URL, others are host[:port]. */
export function registryKey(domain: string): string {
  return domain === 'docker.io' || domain === 'index.docker.io' || domain === 'registry-1.docker.io' ? HUB_KEY : domain.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

async function readConfig(): Promise<DockerConfigFile> {
  try {
    return JSON.parse(await readFile(configPath(), 'utf8')) as DockerConfigFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`cannot read ${configPath()}: ${(err as Error).message}`);
  }
}

/**
 * The config file's `detachKeys`, which the docker CLI uses when no `--detach-keys` is given (and
 * sends to the daemon as such). A file that cannot be read leaves docker's default in place.
 */
export async function configDetachKeys(): Promise<string | undefined> {
  const keys = (await readConfig().catch(() => ({}) as DockerConfigFile)).detachKeys;
  return typeof keys === 'string' && keys !== '' ? keys : undefined;
}

async function writeConfig(config: DockerConfigFile): Promise<void> {
  const path = configPath();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(config, null, '\t') + '\n', { mode: 0o600 });
  await rename(tmp, path);
}

/** Runs `docker-credential-<helper> <action>` with `input` on stdin (the credential helper protocol). */
function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${helper}`, [action], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', (err) => reject(new Error(`credential helper docker-credential-${helper}: ${err.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`docker-credential-${helper} ${action} failed: ${out.trim()}`))));
    child.stdin.end(input);
  });
}

function helperFor(config: DockerConfigFile, key: string): string | undefined {
  return config.credHelpers?.[key] ?? config.credsStore;
}

export async function getCredentials(domain: string): Promise<AuthEntry | undefined> {
  const key = registryKey(domain);
  const config = await readConfig();
  const helper = helperFor(config, key);
  if (helper) {
    try {
      const got = JSON.parse(await runHelper(helper, 'get', key)) as { Username?: string; Secret?: string };
      if (got.Username && got.Secret !== undefined) return { username: got.Username, password: got.Secret, serveraddress: key };
    } catch {
      return undefined;
    }
    return undefined;
  }
  const auth = config.auths?.[key]?.auth;
  if (!auth) return undefined;
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: key };
}

export async function storeCredentials(entry: AuthEntry): Promise<void> {
  const config = await readConfig();
  const key = registryKey(entry.serveraddress);
  const helper = helperFor(config, key);
  if (helper) {
    await runHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: entry.username, Secret: entry.password }));
    config.auths = { ...(config.auths ?? {}), [key]: {} };
  } else {
    config.auths = { ...(config.auths ?? {}), [key]: { auth: Buffer.from(`${entry.username}:${entry.password}`).toString('base64') } };
  }
  await writeConfig(config);
}

/** Returns false when there was nothing stored for the registry. */
export async function eraseCredentials(domain: string): Promise<boolean> {
  const config = await readConfig();
  const key = registryKey(domain);
  const helper = helperFor(config, key);
  const had = config.auths?.[key] !== undefined;
  if (helper) await runHelper(helper, 'erase', key).catch(() => undefined);
  if (config.auths) delete config.auths[key];
  await writeConfig(config);
  return had || helper !== undefined;
}

/** The X-Registry-Auth header for a registry: its stored credentials, or `{}` (anonymous). */
export async function registryAuthHeader(domain: string): Promise<string> {
  const creds = await getCredentials(domain);
  return Buffer.from(JSON.stringify(creds ?? {})).toString('base64url');
}
