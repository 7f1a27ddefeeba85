import http from 'node:http';
import type { TestDaemon } from './test-daemon.js';

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** One raw request at an API version of the caller's choice, as an outside client (docker-py, compose v1) sends it. */
export function rawApi(d: TestDaemon, method: string, path: string, version: string, body?: unknown): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ socketPath: d.socket, method, path: `/v${version}${path}`, headers: data ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The error message of an answer (empty when it has none). */
export const answerMessage = (a: ApiAnswer): string => (a.body as { message?: string } | undefined)?.message ?? '';
