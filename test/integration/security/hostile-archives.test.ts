/**
 * Issue 21: no archive or build context may touch or read anything outside its root. The
 * hostile corpus (test/helpers/hostile-tar/) goes through every unpacking route of one berthd
 * with busybox; the host around a victim directory is checked after each run.
 */
import { TestDaemon } from '../../helpers/test-daemon.js';
import { hostileCorpusSuite } from '../../helpers/hostile-tar/corpus-suite.js';

hostileCorpusSuite('hostile archives against berthd', 'berth', async () => {
  const d = await TestDaemon.startWithBusybox();
  return {
    socket: d.socket,
    stop: () => d.stop(),
    restart: async () => {
      const log = d.logs;
      await d.halt('SIGKILL');
      d.logs = '';
      await d.launch();
      // The lines that say why it died, not the debug chatter before them.
      return log.split('\n').filter((l) => /rror|fatal|abort|uncaught/i.test(l)).slice(-4).join('\n');
    },
  };
});
