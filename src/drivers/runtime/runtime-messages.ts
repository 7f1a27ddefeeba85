/**
 * crun's start errors in runc's words. Docker users (and the docker CLI, which picks `run`'s
 * exit code 126/127 by looking for "no such file or directory", "executable file not found" and
 * "permission denied" in the message) know runc's wording; crun says the same things with
 * capitalised strerror texts and other phrasing. Messages that match nothing pass unchanged.
 */
const START = 'unable to start container process: ';

const REWRITES: ReadonlyArray<[RegExp, (m: RegExpExecArray) => string]> = [
  [/executable file `(.+?)` not found in \$PATH: No such file or directory/, (m) => {
    const cmd = m[1] as string;
    return cmd.includes('/') ? `${START}exec: "${cmd}": stat ${cmd}: no such file or directory` : `${START}exec: "${cmd}": executable file not found in $PATH`;
  }],
  [/chdir (?:to )?`(.+?)`: No such file or directory/, (m) => `${START}chdir to cwd ("${m[1]}") set in config.json failed: no such file or directory`],
  [/open executable: Permission denied/, () => `${START}exec: open executable: permission denied`],
];

export function asRuncMessage(message: string): string {
  for (const [re, rewrite] of REWRITES) {
    const m = re.exec(message);
    if (m) return message.slice(0, m.index) + rewrite(m) + message.slice(m.index + m[0].length);
  }
  return message;
}
