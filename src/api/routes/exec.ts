import { errorMessage, InvalidParameterError } from '../../core/errors.js';
import type { ExecConfig, ExecService } from '../../engine/containers/exec-service.js';
import { queryInt, readJsonBody, sendJson, sendNoContent } from '../http-context.js';
import type { HijackContext, Route } from '../route.js';
import { splice, writeUpgrade } from '../streams/hijack.js';
import { frame } from '../streams/multiplex.js';

interface StartBody {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

/** The JSON body of a hijacked exec start (Node does not parse bodies of upgrade requests). */
function startBody(ctx: HijackContext): StartBody {
  const text = ctx.body.toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text) as StartBody;
  } catch {
    throw new InvalidParameterError('invalid JSON in exec start body');
  }
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
        const body = startBody(ctx);
        const id = ctx.params.id ?? '';
        const e = execs.get(id);
        const tty = body.Tty ?? e.config.Tty === true;
        // As docker does, only an unknown exec is refused before the upgrade; a start that fails
        // is reported in the stream (stdout) and through the exec's exit code.
        writeUpgrade(ctx.socket, tty, ctx.apiVersion);
        let monitor;
        try {
          monitor = await execs.start(id, { detach: body.Detach === true, tty, ...(body.ConsoleSize ? { consoleSize: body.ConsoleSize } : {}) });
        } catch (err) {
          const text = Buffer.from(`${errorMessage(err)}\r\n`);
          ctx.socket.end(tty ? text : frame(1, text));
          return;
        }
        if (!monitor) {
          ctx.socket.end();
          return;
        }
        await splice(ctx.socket, monitor, { tty, stdin: e.config.AttachStdin === true, stdout: e.config.AttachStdout !== false, stderr: e.config.AttachStderr !== false, stdinOnce: true, head: ctx.head, beforeEnd: () => execs.settled(id) });
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
