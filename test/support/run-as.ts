#!/usr/bin/env node
/**
 * Runs the `airlock` CLI or the authenticator as another user, for the tests of what an
 * unprivileged local user may do (admin-socket.test.ts):
 *
 *   node run-as.js UID GID GROUPS cli ARGS...            (GROUPS: g1,g2 or - for none)
 *   node run-as.js UID GID GROUPS authenticator CONFIG
 *
 * It loads the code first, as the user that started it (root), and only then gives up its
 * privileges (setgroups, setgid, setuid) and runs: so the test does not depend on that user
 * being able to read the checkout (a fresh clone made with `mktemp -d` is mode 0700), while
 * everything the command does at run time (connect to the socket, create it) happens as
 * that user.
 */
import { runCli } from '@airlock/authenticator/cli';
import { formatConfigErrors, loadConfigFile, startAuthenticator } from '@airlock/authenticator';

const [uid, gid, groups, what, ...rest] = process.argv.slice(2);
if (uid === undefined || gid === undefined || groups === undefined || (what !== 'cli' && what !== 'authenticator')) {
  console.error('usage: run-as UID GID GROUPS|- cli ARGS... | authenticator CONFIG');
  process.exit(2);
}
if (process.setgroups === undefined || process.setgid === undefined || process.setuid === undefined) {
  console.error('run-as: this platform cannot change user');
  process.exit(2);
}
process.setgroups(groups === '-' ? [] : groups.split(',').map(Number));
process.setgid(Number(gid));
process.setuid(Number(uid));

if (what === 'cli') {
  process.exitCode = await runCli(rest, { out: (l) => console.log(l), err: (l) => console.error(l) });
} else {
  const loaded = loadConfigFile(rest[0] ?? '');
  if (!loaded.ok) {
    console.error(formatConfigErrors(loaded.errors, rest[0] ?? ''));
    process.exit(2);
  }
  const running = await startAuthenticator({ config: loaded.value });
  process.on('SIGTERM', () => void running.stop().then(() => process.exit(0)));
}
