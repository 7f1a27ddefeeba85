import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../../helpers/test-daemon.js';
import { ok, until } from '../../helpers/expect.js';

interface Ev { Action: string; Actor: { Attributes: Record<string, string> } }

/**
 * Podman's --health-on-failure, as `berth run --health-on-failure` and as the label
 * berth.health-on-failure the docker CLI can set: what happens once the health check has failed
 * --health-retries times in a row.
 */
describe('health-on-failure: none, kill, restart, stop', () => {
  let d: TestDaemon;
  const t0 = Math.floor(Date.now() / 1000) - 1;
  const names = ['hof-restart', 'hof-restart-label', 'hof-kill', 'hof-stop', 'hof-none'];
  // Fails every probe, counted after a start period that lets the shell set its TERM trap first
  // (PID 1 ignores a TERM it has no handler for): a graceful stop then takes no stop timeout.
  const failing = ['--health-cmd', 'false', '--health-interval', '200ms', '--health-retries', '2', '--health-start-period', '1s', '--health-start-interval', '200ms', '--stop-timeout', '5'];
  const service = ['busybox', 'sh', '-c', "trap 'exit 0' TERM; while :; do sleep 0.1; done"];

  before(async () => {
    d = await TestDaemon.startWithBusybox();
  });
  afterEach((t) => {
    // The daemon's side of a failure: what it did (or failed to do) for the container's health.
    if ((t as { passed?: boolean }).passed === false) console.log(d.logs.split('\n').filter((l) => /health|restart/i.test(l)).slice(-40).join('\n'));
  });
  after(async () => {
    await d?.docker(['rm', '-f', ...names]);
    await d?.stop();
  });

  const state = async (name: string): Promise<{ status: string; health: string; restarts: number; exitCode: number }> => {
    const out = ok(await d.docker(['inspect', '-f', '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}} {{.RestartCount}} {{.State.ExitCode}}', name]), `inspect ${name}`).stdout.trim();
    const [status = '', health = '', restarts = '0', exitCode = '0'] = out.split(' ');
    return { status, health, restarts: Number(restarts), exitCode: Number(exitCode) };
  };
  const events = async (name: string): Promise<Ev[]> => {
    const args = ['events', '--since', String(t0), '--until', String(Math.floor(Date.now() / 1000) + 1), '--format', '{{json .}}', '--filter', `container=${name}`];
    return ok(await d.docker(args), 'events').stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Ev);
  };
  const withReason = (evs: Ev[], action: string): Ev[] => evs.filter((e) => e.Action === action && e.Actor.Attributes.reason === 'unhealthy');

  it('restart (berth run --health-on-failure=restart): restarted each time it turns unhealthy, counted in RestartCount, events say why', async () => {
    ok(await d.berth(['run', '-d', '--name', 'hof-restart', '--health-on-failure=restart', ...failing, ...service]), 'berth run');
    assert.equal(ok(await d.docker(['inspect', '-f', '{{index .Config.Labels "berth.health-on-failure"}}', 'hof-restart']), 'label').stdout.trim(), 'restart');
    await until(async () => ((await state('hof-restart')).restarts >= 2 ? true : undefined), 'two restarts for health', 20_000);
    await until(async () => ((await state('hof-restart')).status === 'running' ? true : undefined), 'running after its restart');
    const evs = await events('hof-restart');
    assert.ok(evs.filter((e) => e.Action === 'health_status: unhealthy').length >= 2, evs.map((e) => e.Action).join(','));
    assert.ok(withReason(evs, 'restart').length >= 2, 'restart events with reason=unhealthy');
    assert.ok(withReason(evs, 'kill').length >= 2, 'the graceful stop of each restart says why');
    assert.ok(evs.filter((e) => e.Action === 'start').length >= 3, 'started again');
    // A start by the user begins the count again, as after any restart policy.
    ok(await d.docker(['stop', '-t', '1', 'hof-restart']), 'stop');
    ok(await d.docker(['start', 'hof-restart']), 'start');
    assert.ok((await state('hof-restart')).restarts <= 1);
  });

  it('restart through the docker CLI with the label berth.health-on-failure=restart', async () => {
    ok(await d.docker(['run', '-d', '--name', 'hof-restart-label', '-l', 'berth.health-on-failure=restart', ...failing, ...service]), 'docker run');
    await until(async () => ((await state('hof-restart-label')).restarts >= 1 ? true : undefined), 'a restart for health', 20_000);
    // The count goes up as the restart begins; its event comes once the container runs again.
    await until(async () => (withReason(await events('hof-restart-label'), 'restart').length >= 1 ? true : undefined), 'a restart event with reason=unhealthy');
  });

  it('kill (label): the container is killed with SIGKILL and stays exited', async () => {
    ok(await d.docker(['run', '-d', '--name', 'hof-kill', '-l', 'berth.health-on-failure=kill', ...failing, ...service]), 'docker run');
    await until(async () => ((await state('hof-kill')).status === 'exited' ? true : undefined), 'killed', 20_000);
    const s = await state('hof-kill');
    assert.equal(s.exitCode, 137);
    assert.equal(s.restarts, 0);
    const evs = await events('hof-kill');
    assert.deepEqual(withReason(evs, 'kill').map((e) => e.Actor.Attributes.signal), ['9']);
    assert.ok(evs.some((e) => e.Action === 'health_status: unhealthy'));
    const last = JSON.parse(ok(await d.docker(['inspect', '-f', '{{json .BerthLastExit}}', 'hof-kill']), 'inspect').stdout) as { Reason: string; Message: string };
    assert.equal(last.Reason, 'unhealthy');
    assert.match(last.Message, /^killed \(SIGKILL\) for its --health-on-failure .*it was unhealthy \(\d+ failed health checks/);
    await new Promise((r) => setTimeout(r, 800));
    assert.equal((await state('hof-kill')).status, 'exited', 'not restarted');
  });

  it('stop (berth flag): the container is stopped gracefully with its stop signal', async () => {
    ok(await d.berth(['run', '-d', '--name', 'hof-stop', '--health-on-failure', 'stop', ...failing, ...service]), 'berth run');
    await until(async () => ((await state('hof-stop')).status === 'exited' ? true : undefined), 'stopped', 20_000);
    const s = await state('hof-stop');
    assert.equal(s.exitCode, 0, 'ended by its TERM trap, not killed');
    assert.equal(s.restarts, 0);
    const evs = await events('hof-stop');
    assert.deepEqual(withReason(evs, 'kill').map((e) => e.Actor.Attributes.signal), ['15']);
    assert.equal(withReason(evs, 'stop').length, 1);
    const last = JSON.parse(ok(await d.docker(['inspect', '-f', '{{json .BerthLastExit}}', 'hof-stop']), 'inspect').stdout) as { Reason: string; Message: string };
    assert.equal(last.Reason, 'unhealthy');
    assert.match(last.Message, /^stopped \(SIGTERM\) for its --health-on-failure/);
  });

  it('none (the default): the container stays running, unhealthy', async () => {
    ok(await d.docker(['run', '-d', '--name', 'hof-none', ...failing, ...service]), 'docker run');
    await until(async () => ((await state('hof-none')).health === 'unhealthy' ? true : undefined), 'unhealthy', 20_000);
    await new Promise((r) => setTimeout(r, 1000));
    const s = await state('hof-none');
    assert.deepEqual([s.status, s.health, s.restarts], ['running', 'unhealthy', 0]);
    const actions = (await events('hof-none')).map((e) => e.Action);
    assert.ok(!actions.includes('kill') && !actions.includes('restart') && !actions.includes('die'), actions.join(','));
  });

  it('an invalid action is refused at create, by the label and by the flag', async () => {
    const byLabel = await d.docker(['create', '-l', 'berth.health-on-failure=reboot', 'busybox', 'true']);
    assert.notEqual(byLabel.code, 0);
    assert.match(byLabel.stderr, /invalid --health-on-failure \(label berth\.health-on-failure\) 'reboot': use one of 'none', 'kill', 'restart', 'stop'/);
    const byFlag = await d.berth(['run', '--health-on-failure=Restart', 'busybox', 'true']);
    assert.notEqual(byFlag.code, 0);
    assert.match(byFlag.stderr, /invalid --health-on-failure .*'Restart'/);
    assert.equal(ok(await d.docker(['ps', '-aq', '--filter', 'label=berth.health-on-failure=reboot']), 'ps').stdout.trim(), '', 'nothing was created');
  });
});
