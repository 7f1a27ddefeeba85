/**
 * Not a test: a berthd and Berth's registry with stand-ins for critest's images (built from
 * busybox; registry.k8s.io and gcr.io are not reachable here), for running cri-tools' critest
 * by hand until the lead wires it into CI:
 *   node dist/test/integration/cri/critest-standins.js   # prints {"sock", "reg", "imagesFile"}; SIGTERM ends it
 *   critest -runtime-endpoint unix://<sock> -image-endpoint unix://<sock> \
 *     -registry-prefix <reg> -test-images-file <imagesFile> -ginkgo.focus=Conformance
 * critest's -registry-prefix drops an image's tag (pkg/framework/util.go PrepareImageName), so
 * each stand-in is pushed as :latest too; specs that look images up by their original name
 * cannot pass this way (docs/cri-coverage.md lists them).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { RegistryProcess } from '../../helpers/registry-process.js';

const d = await TestDaemon.startWithBusybox();
const reg = await RegistryProcess.start();
const R = reg.host;
async function must(args: string[]): Promise<string> {
  const r = await d.berth(args);
  if (r.code !== 0) throw new Error(`berth ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const ctx = join(d.root, 'critest-ctx');
await mkdir(ctx, { recursive: true });
async function build(tag: string, dockerfile: string): Promise<void> {
  await writeFile(join(ctx, 'Dockerfile'), dockerfile);
  await must(['build', '-q', '-t', tag, ctx]);
}
const same = ['e2e-test-images/busybox:1.29-2', 'k8s-staging-cri-tools/test-image-latest:latest', 'k8s-staging-cri-tools/test-image-tag:test', 'k8s-staging-cri-tools/test-image-tag:all', 'k8s-staging-cri-tools/test-image-tags:1', 'k8s-staging-cri-tools/test-image-tags:2', 'k8s-staging-cri-tools/test-image-tags:3', 'pause:3.9'];
for (const t of same) await must(['tag', 'busybox', `${R}/${t}`]);
for (const n of [1, 2, 3]) await build(`${R}/k8s-staging-cri-tools/test-image-${n}:latest`, `FROM busybox\nLABEL n=${n}\n`);
const users = "FROM busybox\nRUN echo 'www-data:x:33:33:www-data:/:/bin/sh' >> /etc/passwd && echo 'www-data:x:33:' >> /etc/group\n";
await build(`${R}/k8s-staging-cri-tools/test-image-user-uid:latest`, `${users}USER 1002\n`);
await build(`${R}/k8s-staging-cri-tools/test-image-user-username:latest`, `${users}USER www-data\n`);
await build(`${R}/k8s-staging-cri-tools/test-image-user-uid-group:latest`, `${users}USER 1003:1003\n`);
await build(`${R}/k8s-staging-cri-tools/test-image-user-username-group:latest`, `${users}USER www-data:www-data\n`);
await build(`${R}/k8s-staging-cri-tools/test-image-predefined-group:latest`, "FROM busybox\nRUN echo 'u1000:x:1000:50000::/:/bin/sh' >> /etc/passwd && echo 'g50000:x:50000:u1000' >> /etc/group\nUSER 1000\n");
// The web server specs want nginx and httpd; busybox's httpd on port 80 stands in for both.
const web = 'FROM busybox\nRUN mkdir -p /www && echo ok > /www/index.html\nEXPOSE 80\nCMD ["httpd", "-f", "-p", "80", "-h", "/www"]\n';
await build(`${R}/e2e-test-images/nginx:1.14-2`, web);
await must(['tag', `${R}/e2e-test-images/nginx:1.14-2`, `${R}/e2e-test-images/httpd:2.4.39-4`]);
// Specs that create containers by the original name find these without a pull.
await must(['tag', `${R}/e2e-test-images/nginx:1.14-2`, 'registry.k8s.io/e2e-test-images/nginx:1.14-2']);
await must(['tag', `${R}/e2e-test-images/nginx:1.14-2`, 'registry.k8s.io/e2e-test-images/httpd:2.4.39-4']);
const ours = async (): Promise<string[]> => (await must(['images', '--format', '{{.Repository}}:{{.Tag}}'])).split('\n').filter((l) => l.startsWith(`${R}/`));
for (const name of await ours()) if (!name.endsWith(':latest')) await must(['tag', name, name.replace(/:[^:/]+$/, ':latest')]);
for (const name of await ours()) await must(['push', name]);
for (const name of await ours()) await must(['rmi', name]);
const imagesFile = join(d.root, 'critest-images.yaml');
await writeFile(imagesFile, `defaultTestContainerImage: ${R}/e2e-test-images/busybox:latest\nwebServerTestImage: ${R}/e2e-test-images/nginx:latest\n`);
console.log(JSON.stringify({ sock: d.criSocket, reg: R, imagesFile }));
process.once('SIGTERM', () => {
  void (async () => {
    await reg.stop();
    await d.stop();
    process.exit(0);
  })();
});
setInterval(() => undefined, 1 << 30);
