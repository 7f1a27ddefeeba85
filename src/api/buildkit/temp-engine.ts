// TEMP probe engine until helpers E/F merge
import type { Logger } from '../../core/logger.js';
import type { BuildProgress } from '../../engine/build/solve-types.js';
export function tempEngine(log: Logger) {
  return {
    async solveDockerfile(opts: unknown, inputs: { session: import('../../engine/build/solve-types.js').BuildSession }, progress: BuildProgress, _signal: AbortSignal): Promise<`sha256:${string}`> {
      log.info({ opts }, 'PROBE solveDockerfile');
      const v = progress.vertex('[internal] load build definition from Dockerfile');
      const ch = inputs.session.packets('/moby.filesync.v1.FileSync/DiffCopy', { 'dir-name': ['dockerfile'], followpaths: ['Dockerfile'] });
      for (;;) {
        const p = await ch.recv();
        log.info({ p }, 'PROBE packet');
        if (!p || (p.type === 0 && !p.stat)) break;
      }
      await ch.send({ type: 3, stat: null, ID: 0, data: Buffer.alloc(0) });
      for (;;) { const p = await ch.recv(); log.info({ p }, 'PROBE after fin'); if (!p) break; }
      v.log('hello from berth\n');
      v.done();
      return 'sha256:0000000000000000000000000000000000000000000000000000000000000000';
    },
    async exportImage(image: string, exports: unknown, ..._rest: unknown[]): Promise<Record<string, string>> { log.info({ image, exports }, 'PROBE export'); return {}; },
    async usage(_f?: unknown): Promise<never[]> { return []; },
    async pruneUsage(_o?: unknown): Promise<never[]> { return []; },
  };
}
