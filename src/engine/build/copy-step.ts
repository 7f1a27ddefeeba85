import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { phaseTimer } from '../../core/phase-timer.js';
import { topLayerId, type Digest } from '../../core/digest.js';
import { InvalidParameterError, NotFoundError, NotImplementedError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { Snapshotter } from '../../drivers/snapshotter/snapshotter.js';
import type { Instruction } from '../../oci/dockerfile/instructions.js';
import { processWord } from '../../oci/dockerfile/shell-lex.js';
import type { ContentStore } from '../../store/content/content-store.js';
import { commitContainer } from '../rootfs/index.js';
import { resolveUser } from '../containers/user-lookup.js';
import type { ImageService } from '../images/image-service.js';
import { BuildCache } from './build-cache.js';
import { SourceTree, type SourceItem } from './build-context.js';
import { copyInto } from './build-copy.js';
import type { StageState } from './build-state.js';
import { fetchUrlSource } from './build-url.js';
import { withImageRootfs } from './image-rootfs.js';

export interface CopyStepDeps {
  images: ImageService;
  content: ContentStore;
  snapshotter: Snapshotter;
  log: Logger;
}

export interface CopyStepInput {
  state: StageState;
  ins: Instruction;
  escape: string;
  /** The build context. */
  context: SourceTree;
  /** Where heredoc files and downloads are put while the step runs. */
  scratchDir: string;
  /** --from=NAME: a named context's directory (BuildKit's `context:NAME=local:…`), if it is one. */
  stageTree?(from: string): SourceTree | undefined;
  /** --from=NAME|INDEX: that stage's image (null: a scratch stage); undefined when it is no stage. */
  stageImage(from: string): Digest | null | undefined;
  /** The build's cache lookup around making the step's image. */
  step(key: string, make: () => Promise<Digest>): Promise<void>;
  background(work: Promise<unknown>): void;
}

/**
 * COPY and ADD: sources from the context, a heredoc, a URL (ADD) or another stage or image
 * (--from), keyed in the cache by a digest of their content and metadata, copied into a
 * throwaway rootfs of the stage's image and committed as one layer.
 */
export class CopyStep {
  constructor(private readonly d: CopyStepDeps) {}

  async run(c: CopyStepInput): Promise<void> {
    const { state, ins } = c;
    const isAdd = ins.name === 'ADD';
    const flag = (name: string): string | undefined => {
      const v = ins.flags.get(name)?.[0];
      return v === undefined ? undefined : state.expand(v, ins);
    };
    const from = flag('from');
    const chown = flag('chown');
    const chmodText = flag('chmod');
    const checksum = flag('checksum');
    let mode: number | undefined;
    if (chmodText !== undefined && chmodText !== '') {
      if (!/^[0-7]{1,4}$/.test(chmodText)) throw new InvalidParameterError(`invalid chmod parameter: '${chmodText}'. it should be octal string and between 0 and 07777`);
      mode = parseInt(chmodText, 8);
    }
    for (const unsupported of ['parents', 'exclude', 'keep-git-dir']) {
      if (ins.flags.has(unsupported)) throw new NotImplementedError(`${ins.name} --${unsupported} is not supported by this Berth version yet`);
    }
    const words = ins.node.next.map((w) => state.expand(w, ins));
    const rawDest = words[words.length - 1] as string;
    let dest = rawDest;
    if (!dest.startsWith('/')) dest = join('/', state.runConfig.WorkingDir ?? '/', dest) + (rawDest.endsWith('/') || rawDest === '.' ? '/' : '');
    const srcs = words.slice(0, -1);
    const doWork = async (tree: SourceTree, extra: { dir: string; made: boolean }): Promise<void> => {
      const items: SourceItem[] = [];
      let tempTree: SourceTree | undefined;
      for (const src of srcs) {
        const heredoc = ins.node.heredocs.find((h) => new RegExp(`^<<-?["']?${h.name}["']?$`).test(src));
        if (heredoc) {
          tempTree ??= new SourceTree(extra.dir, null, false);
          extra.made = true;
          await mkdir(extra.dir, { recursive: true });
          const content = heredoc.expand ? processWord(heredoc.content.replace(/[\\"']/g, '\\$&'), state.lookup(), c.escape) : heredoc.content;
          await writeFile(join(extra.dir, heredoc.name), content, { mode: 0o644 });
          items.push(...(await tempTree.resolve(heredoc.name, ins.name)));
        } else if (isAdd && /^https?:\/\//.test(src)) {
          tempTree ??= new SourceTree(extra.dir, null, false);
          extra.made = true;
          await mkdir(extra.dir, { recursive: true });
          const name = await fetchUrlSource(src, extra.dir, checksum);
          items.push(...(await tempTree.resolve(name, ins.name)));
        } else items.push(...(await tree.resolve(src, ins.name)));
      }
      const hashes = await Promise.all(items.map(async (i) => `${i.isDir ? 'dir' : 'file'}:${await (i.abs.startsWith(tree.root) ? tree : (tempTree as SourceTree)).hashItem(i)}`));
      const srcHash = hashes.length === 1 ? (hashes[0] as string) : `multi:${createHash('sha256').update(hashes.join(',')).digest('hex')}`;
      const comment = `${ins.name} ${srcHash} in ${rawDest} `;
      const parent = state.imageId;
      const key = BuildCache.key(['copy', parent, state.runConfig, comment, dest, chown ?? '', mode ?? '', isAdd]);
      await c.step(key, () =>
        this.withLiveStep(c, parent, async (root) => {
          const owner = chown ? await chownIds(root, chown) : { uid: 0, gid: 0 };
          await copyInto(root, tree, items, dest, { owner, ...(mode !== undefined ? { mode } : {}), extractArchives: isAdd, log: (m) => this.d.log.warn(m) });
          return [...state.shell, `#(nop) ${comment}`];
        }, state),
      );
    };
    // Made only for heredocs and downloads.
    const extra = { dir: join(c.scratchDir, `${newId()}-sources`), made: false };
    try {
      if (from === undefined) return await doWork(c.context, extra);
      const tree = c.stageTree?.(from);
      if (tree) return await doWork(tree, extra);
      let image = c.stageImage(from);
      if (image === undefined) {
        const img = await this.d.images.catalog.tryResolve(from);
        if (!img) throw new NotFoundError(`invalid from flag value ${from}: No such image: ${from}`);
        image = img.id;
      }
      await withImageRootfs(this.d, image, (root) => doWork(new SourceTree(root, null, false), extra));
    } finally {
      if (extra.made) await rm(extra.dir, { recursive: true, force: true });
    }
  }

  /** A COPY/ADD onto the stage's image: a rootfs changed in place, committed as one layer. */
  private async withLiveStep(c: CopyStepInput, parent: Digest | null, change: (root: string) => Promise<string[]>, state: StageState): Promise<Digest> {
    const id = newId();
    const base = parent ? topLayerId((await this.d.images.resolve(parent)).record.layers) : null;
    const { mark, phases } = phaseTimer();
    await this.d.snapshotter.createRootfs(id, base);
    try {
      const root = await this.d.snapshotter.mountRootfs(id);
      mark('prepared');
      const cmd = await change(root);
      mark('copied');
      this.d.log.debug({ ms: phases }, 'build copy step');
      return await commitContainer(
        { images: this.d.images, content: this.d.content },
        { parentImageId: parent, diff: () => this.d.snapshotter.diff(id, base, (m) => this.d.log.warn(m)), containerId: '', containerConfig: { ...state.runConfig, Cmd: cmd }, imageConfig: state.runConfig, changeInstructions: [], author: state.maintainer },
      );
    } finally {
      c.background(
        this.d.snapshotter
          .unmountRootfs(id)
          .catch(() => undefined)
          .then(() => this.d.snapshotter.removeRootfs(id))
          .catch((err: unknown) => this.d.log.warn({ err }, 'removing a build rootfs failed')),
      );
    }
  }
}

/** `--chown=user[:group]`: names looked up in the image; a user alone gives the same numeric GID. */
async function chownIds(root: string, spec: string): Promise<{ uid: number; gid: number }> {
  const [user = '', group] = spec.split(':', 2);
  const uid = /^\d+$/.test(user) ? Number(user) : (await resolveUser(root, user)).uid;
  if (group === undefined) return { uid, gid: uid };
  const gid = /^\d+$/.test(group) ? Number(group) : (await resolveUser(root, `${uid}:${group}`)).gid;
  return { uid, gid };
}
