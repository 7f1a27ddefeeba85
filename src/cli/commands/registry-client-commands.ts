import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { UsageError } from '../command-kit.js';
import { eraseCredentials, registryAuthHeader, registryKey, storeCredentials } from '../docker-config.js';
import { renderTable } from '../format/table.js';
import { ProgressRenderer } from './pull-progress.js';
import { parseImageRef } from './run-image-ref.js';

function domainOf(fullName: string): string {
  return fullName.slice(0, fullName.indexOf('/'));
}

export function definePull(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .argument('<name>', 'NAME[:TAG|@DIGEST]')
    .description('Download an image from a registry')
    .option('-a, --all-tags', 'download all tagged images in the repository')
    .option('--platform <platform>', 'set platform if server is multi-platform capable')
    .option('-q, --quiet', 'suppress verbose output')
    .action(async (image: string, opts: { allTags?: boolean; platform?: string; quiet?: boolean }) => {
      const ref = parseImageRef(image);
      if (opts.allTags && (ref.tag !== undefined || ref.digest !== undefined)) throw new UsageError('tag can\'t be used with --all-tags/-a');
      const renderer = new ProgressRenderer(ctx.stdout, (ctx.stdout as { isTTY?: boolean }).isTTY === true);
      if (!opts.allTags && ref.tag === undefined && ref.digest === undefined && !opts.quiet) ctx.out('Using default tag: latest');
      await ctx.client.jsonLines(
        {
          method: 'POST',
          path: '/images/create',
          query: { fromImage: ref.fullName, tag: opts.allTags ? undefined : ref.digest ?? ref.tag ?? 'latest', platform: opts.platform },
          headers: { 'X-Registry-Auth': await registryAuthHeader(domainOf(ref.fullName)) },
        },
        (m) => {
          if (!opts.quiet) renderer.handle(m);
        },
      );
      // docker prints the fully qualified reference last (with -q only that).
      ctx.out(opts.allTags ? ref.fullName : `${ref.fullName}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`);
    });
}

export function definePush(parent: Command, ctx: CliContext, name: string): Command {
  return parent
    .command(name)
    .argument('<name>', 'NAME[:TAG]')
    .description('Upload an image to a registry')
    .option('-a, --all-tags', 'push all tags of the repository')
    .option('-q, --quiet', 'suppress verbose output')
    .action(async (image: string, opts: { allTags?: boolean; quiet?: boolean }) => {
      const ref = parseImageRef(image);
      if (ref.digest !== undefined) throw new UsageError('cannot push a digest reference');
      if (opts.allTags && ref.tag !== undefined) throw new UsageError('tag can\'t be used with --all-tags/-a');
      if (!opts.allTags && ref.tag === undefined && !opts.quiet) ctx.out('Using default tag: latest');
      const renderer = new ProgressRenderer(ctx.stdout, (ctx.stdout as { isTTY?: boolean }).isTTY === true);
      const repo = ref.fullName.startsWith('docker.io/') ? ref.familiarName : ref.fullName;
      await ctx.client.jsonLines(
        {
          method: 'POST',
          path: `/images/${repo}/push`,
          query: { tag: opts.allTags ? '' : ref.tag ?? 'latest' },
          headers: { 'X-Registry-Auth': await registryAuthHeader(domainOf(ref.fullName)) },
        },
        (m) => {
          if (!opts.quiet) renderer.handle(m);
        },
      );
      if (opts.quiet) ctx.out(`${ref.familiarName}:${ref.tag ?? 'latest'}`);
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function defineLogin(parent: Command, ctx: CliContext): Command {
  return parent
    .command('login')
    .argument('[server]')
    .description('Authenticate to a registry (credentials go to the docker config.json or its credential helper)')
    .option('-u, --username <username>', 'username')
    .option('-p, --password <password>', 'password')
    .option('--password-stdin', 'take the password from stdin')
    .action(async (server: string | undefined, opts: { username?: string; password?: string; passwordStdin?: boolean }) => {
      if (opts.password !== undefined && opts.passwordStdin) throw new UsageError('--password and --password-stdin are mutually exclusive');
      if (!opts.username) throw new UsageError('Must provide --username with --password-stdin or --password (interactive prompts are not supported)');
      const password = opts.passwordStdin ? await readStdin() : opts.password;
      if (password === undefined || password === '') throw new UsageError('Must provide --password or --password-stdin');
      if (opts.password !== undefined) ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.');
      const serveraddress = registryKey(server ?? 'docker.io');
      const res = await ctx.client.json<{ Status: string }>({ method: 'POST', path: '/auth', body: { username: opts.username, password, serveraddress } });
      await storeCredentials({ username: opts.username, password, serveraddress });
      ctx.out(res.Status || 'Login Succeeded');
    });
}

export function defineLogout(parent: Command, ctx: CliContext): Command {
  return parent
    .command('logout')
    .argument('[server]')
    .description('Log out from a registry')
    .action(async (server: string | undefined) => {
      const key = registryKey(server ?? 'docker.io');
      if (await eraseCredentials(key)) ctx.out(`Removing login credentials for ${key}`);
      else ctx.out(`Not logged in to ${key}`);
    });
}

export function defineSearch(parent: Command, ctx: CliContext): Command {
  return parent
    .command('search')
    .argument('<term>')
    .description('Search a registry for images')
    .option('--limit <n>', 'max number of search results', '25')
    .option('--no-trunc', "don't truncate output")
    .action(async (term: string, opts: { limit: string; trunc: boolean }) => {
      const slash = term.indexOf('/');
      const first = slash > 0 ? term.slice(0, slash) : '';
      const domain = first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
      const results = await ctx.client.json<Array<{ name: string; description: string; star_count: number; is_official: boolean }>>({
        method: 'GET',
        path: '/images/search',
        query: { term, limit: opts.limit },
        headers: { 'X-Registry-Auth': await registryAuthHeader(domain) },
      });
      const desc = (d: string): string => (opts.trunc && d.length > 45 ? `${d.slice(0, 42)}...` : d);
      ctx.out(renderTable(['NAME', 'DESCRIPTION', 'STARS', 'OFFICIAL'], results.map((r) => [r.name, desc(r.description ?? ''), String(r.star_count ?? 0), r.is_official ? '[OK]' : ''])));
    });
}
