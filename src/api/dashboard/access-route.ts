import { ConflictError } from '../../core/errors.js';
import { sendJson } from '../http-context.js';
import type { Route } from '../route.js';

/** Where the dashboard answers and its login token; undefined when berthd runs without --ui. */
export type DashboardAccess = () => { url: string; token: string } | undefined;

/**
 * `GET /berth/v1/ui`, which `berth ui` prints: whoever may use the socket may use the dashboard,
 * so the socket hands out its token (and nobody else gets it: the file is root's, 0600).
 */
export function dashboardAccessRoutes(access: DashboardAccess | undefined): Route[] {
  return [
    {
      method: 'GET',
      path: '/berth/v1/ui',
      summary: 'The dashboard\'s URL and login token (409 when berthd runs without `--ui`). `berth ui`.',
      handler: async ({ res }) => {
        const a = access?.();
        if (!a) throw new ConflictError('the dashboard is off: start berthd with --ui 127.0.0.1:8090 (or "ui": "127.0.0.1:8090" in daemon.json)');
        sendJson(res, 200, { URL: a.url, Token: a.token, LoginURL: `${a.url}?token=${a.token}` });
      },
    },
  ];
}
