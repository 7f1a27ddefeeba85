import { InvalidParameterError } from '../../core/errors.js';
import type { ExecConfig, ExecService } from '../../engine/containers/exec-service.js';
import { queryInt, readJsonBody, sendJson, sendNoContent } from '../http-context.js';
import type { HijackContext, Route } from '../route.js';
import { splice, writeUpgrade } from '../streams/hijack.js';

interface StartBody {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

/** The JSON body of a hijacked request sits in the bytes read past the headers. */
function bodyFromHead(ctx: HijackContext): { body: StartBody; rest: Buffer } {
  const len = Number(ctx.req.headers['content-length'] ?? 0);
  const text = ctx.head.subarray(0, len).toString('utf8').trim();
  let body: StartBody = {};
  if (text) {
    try {
      body = JSON.parse(text) as StartBody;
    } catch {
      throw new InvalidParameterError('invalid JSON in exec start body');
    }
  }
  return { body, rest: ctx.head.subarray(len) };
}

export function execRoutes(execs: ExecService): Route[] {
  return [
    {
      method: 'POST',
      path: '/containers/:id/exec',
      handler: async (ctx) => {
        const body = await readJsonBody<ExecConfig>(ctx.req);
        if (!body) throw new InvalidParameterError('exec config cannot be empty');
        sendJson(ctx.res, 201, execs.create(ctx.params.id ?? '', body));
      },
    },
    {
      method: 'POST',
      path: '/exec/:id/start',
      handler: async (ctx) => {
        const body = (await readJsonBody<StartBody>(ctx.req)) ?? {};
        if (!body.Detach) throw new InvalidParameterError('attached exec start needs a connection upgrade (Connection: Upgrade, Upgrade: tcp)');
        await execs.start(ctx.params.id ?? '', { detach: true });
        sendNoContent(ctx.res, 200);
      },
      hijack: async (ctx) => {
        const { body, rest } = bodyFromHead(ctx);
        const id = ctx.params.id ?? '';
        const e = execs.get(id);
        const tty = body.Tty ?? e.config.Tty === true;
        const monitor = await execs.start(id, { detach: body.Detach === true, tty, ...(body.ConsoleSize ? { consoleSize: body.ConsoleSize } : {}) });
        writeUpgrade(ctx.socket, tty, ctx.apiVersion);
        if (!monitor) {
          ctx.socket.end();
          return;
        }
        await splice(ctx.socket, monitor, { tty, stdin: e.config.AttachStdin === true, stdout: e.config.AttachStdout !== false, stderr: e.config.AttachStderr !== false, head: rest, beforeEnd: () => execs.settled(id) });
      },
    },
    {
      method: 'POST',
      path: '/exec/:id/resize',
      handler: async (ctx) => {
        await execs.resize(ctx.params.id ?? '', queryInt(ctx.query, 'h') ?? 0, queryInt(ctx.query, 'w') ?? 0);
        sendNoContent(ctx.res, 200);
      },
    },
    { method: 'GET', path: '/exec/:id/json', handler: async (ctx) => sendJson(ctx.res, 200, execs.inspect(ctx.params.id ?? '')) },
  ];
}
