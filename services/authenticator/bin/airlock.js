#!/usr/bin/env node
// The `airlock` command as npm links it (node_modules/.bin/airlock, `npx airlock`). A file
// in the repository, not in dist/: npm links a workspace's bin at install time, before the
// `prepare` step has built dist/, and skips a target that does not exist yet.
let cli;
try {
  cli = await import('../dist/cli/airlock.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  process.stderr.write('airlock: the CLI is not built yet: run `npm run build` (or `npm install`) in the repository\n');
  process.exit(1);
}
process.exitCode = await cli.runCli(process.argv.slice(2), { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) });
