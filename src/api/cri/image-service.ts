/**
 * runtime.v1.ImageService on the engine's image store, the one the Docker API uses: an image
 * pulled by `docker pull` is listed by `crictl images` and the reverse. Names go out fully
 * qualified (docker.io/library/busybox:latest), as containerd and CRI-O give them to the kubelet.
 */
import { InvalidParameterError, NotFoundError } from '../../core/errors.js';
import type { Lazy } from '../../core/lazy.js';
import type { DistributionService } from '../../engine/images/distribution/distribution-service.js';
import type { RegistryCredentials } from '../../engine/images/distribution/registry-http.js';
import type { ImageService } from '../../engine/images/image-service.js';
import { formatReference, parseReference } from '../../oci/reference.js';

export interface ImageServiceDeps {
  images: ImageService;
  distribution: Lazy<DistributionService>;
  /** The image filesystem: where layers live and what they use. */
  imageFs: () => Promise<{ mountpoint: string; usedBytes: number; inodesUsed: number }>;
  containerFs: () => Promise<{ mountpoint: string; usedBytes: number; inodesUsed: number }>;
}

type Req = Record<string, unknown>;
type Handler = (req: never) => Promise<unknown>;

/** docker's familiar names as full references; a name that does not parse is left as it is. */
function qualified(name: string): string {
  try {
    return formatReference(parseReference(name));
  } catch {
    return name;
  }
}

interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  identity_token?: string;
  registry_token?: string;
}

/** CRI AuthConfig as the registry client's credentials (`auth` is base64 of user:password). */
export function credentialsOf(a: AuthConfig | null | undefined): RegistryCredentials | undefined {
  if (!a) return undefined;
  let { username, password } = a;
  if (!username && a.auth) {
    const plain = Buffer.from(a.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon < 0) throw new InvalidParameterError('auth in the pull request\'s AuthConfig is not base64 of "user:password"');
    username = plain.slice(0, colon);
    password = plain.slice(colon + 1);
  }
  const creds: RegistryCredentials = {
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(a.identity_token ? { identitytoken: a.identity_token } : {}),
    ...(a.registry_token ? { registrytoken: a.registry_token } : {}),
  };
  return Object.keys(creds).length > 0 ? creds : undefined;
}

export function imageServiceHandlers(d: ImageServiceDeps): Record<string, Handler> {
  const criImage = async (name: string): Promise<Record<string, unknown> | undefined> => {
    const found = await d.images.catalog.tryResolve(name);
    if (!found) return undefined;
    const inspect = await d.images.inspect(found.id);
    const user = String((inspect.Config as { User?: string }).User ?? '');
    const [u] = user.split(':');
    const numeric = u !== undefined && /^\d+$/.test(u);
    return {
      id: inspect.Id,
      repo_tags: inspect.RepoTags.map(qualified),
      repo_digests: inspect.RepoDigests.map(qualified),
      size: String(inspect.Size),
      ...(numeric ? { uid: { value: u } } : {}),
      username: numeric ? '' : (u ?? ''),
      spec: { image: inspect.Id, annotations: {} },
      pinned: false,
    };
  };
  const imageName = (req: Req): string => {
    const spec = req.image as { image?: string } | null;
    if (!spec?.image) throw new InvalidParameterError('the request needs an image (ImageSpec.image)');
    return spec.image;
  };

  const handlers: Record<string, (req: Req) => Promise<unknown>> = {
    async ListImages(req) {
      const filter = req.filter as { image?: { image?: string } | null } | null;
      const want = filter?.image?.image;
      if (want) {
        const one = await criImage(want);
        return { images: one ? [one] : [] };
      }
      const all = await d.images.list({ all: true });
      const out = await Promise.all(all.map((s) => criImage(s.Id)));
      return { images: out.filter((x) => x !== undefined) };
    },
    async ImageStatus(req) {
      const image = await criImage(imageName(req));
      // An image not present is no error: the status is empty (the kubelet pulls then).
      if (!image) return { image: null, info: {} };
      const info = req.verbose === true ? { info: JSON.stringify(await d.images.inspect(String(image.id))) } : {};
      return { image, info };
    },
    async PullImage(req) {
      const name = imageName(req);
      let ref;
      try {
        ref = parseReference(name);
      } catch (err) {
        throw new InvalidParameterError(`invalid image reference "${name}": ${(err as Error).message}`);
      }
      const full = formatReference(ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref);
      const creds = credentialsOf(req.auth as AuthConfig | null);
      const [result] = await (await d.distribution()).pull(full, '', { ...(creds ? { creds } : {}), onProgress: () => undefined });
      if (!result) throw new NotFoundError(`pulling ${full} gave no image`);
      return { image_ref: result.id };
    },
    async RemoveImage(req) {
      const name = imageName(req);
      const found = await d.images.catalog.tryResolve(name);
      // Removing an image that is not there is no error in the CRI.
      if (!found) return {};
      // The CRI removes the image with every name it has, as containerd does.
      await d.images.remove(found.id, { force: true });
      return {};
    },
    async ImageFsInfo() {
      const now = String(BigInt(Date.now()) * 1_000_000n);
      const usage = (u: { mountpoint: string; usedBytes: number; inodesUsed: number }): Record<string, unknown> => ({ timestamp: now, fs_id: { mountpoint: u.mountpoint }, used_bytes: { value: String(u.usedBytes) }, inodes_used: { value: String(u.inodesUsed) } });
      return { image_filesystems: [usage(await d.imageFs())], container_filesystems: [usage(await d.containerFs())] };
    },
  };
  return handlers as Record<string, Handler>;
}
