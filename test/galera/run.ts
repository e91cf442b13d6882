import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { GaleraCluster, galeraSkipReason, type Seeding } from '../support/galera.js';
import { CONTROL_VARIABLE, serveControl } from '../support/galeraControl.js';

// npm run test:galera [-- [--sst] [--keep] [command…]]
//
// Starts a three-node Galera cluster and haproxy on loopback, runs the command with
// TEST_DATABASE_URL pointing at haproxy and GALERA_CONTROL_URL at the cluster's controls, then
// tears everything down, whatever the command did. Without a command it runs the Galera suites
// (test/galera/*.test.ts). `--sst` gives the joining nodes a full mariadb-backup snapshot each
// instead of a copy of the first node's datadir (slower; what new nodes of a real cluster get);
// `--keep` leaves the nodes' folders (error logs, datadirs) behind for a look after a failure.
// Exits with the command's exit code.

const root = resolve(import.meta.dirname, '../..');
const say = (line: string) => process.stdout.write(`[galera] ${line}\n`);

let args = process.argv.slice(2);
if (args[0] === '--') args = args.slice(1);
let seeding: Seeding = 'copy';
let keepFiles = false;
for (;;) {
  if (args[0] === '--sst') seeding = 'sst';
  else if (args[0] === '--keep') keepFiles = true;
  else break;
  args = args.slice(1);
}
const command = args.length > 0 ? args : ['npx', 'vitest', 'run', '--config', 'test/galera/vitest.config.ts'];

const reason = galeraSkipReason();
if (reason) {
  process.stderr.write(`[galera] cannot start a cluster here: ${reason}\n`);
  process.exit(1);
}

// A signal before the command runs ends this process at once: the exit hooks of the test support
// kill what was started and remove its folders. Afterwards it stops the command, then the cluster.
let child: ChildProcess | undefined;
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  // Ctrl-C reaches this process twice (from the terminal, and relayed by tsx): every signal is
  // handled, so the second cannot end the process before the cluster is torn down.
  process.on(signal, () => {
    if (!child) process.exit(130);
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping the command and the cluster`);
    child.kill(signal);
  });
}

say(`starting three nodes (${seeding}) and haproxy`);
const cluster = await GaleraCluster.start({ seeding, log: say });
const control = await serveControl(cluster);
const { timings } = cluster;
say(
  `ready in ${timings.totalMs} ms (install ${timings.initialiseMs}, bootstrap ${timings.bootstrapMs}, ` +
    `join ${timings.joinMs}, haproxy ${timings.haproxyMs}); TEST_DATABASE_URL=${cluster.url} ` +
    `${CONTROL_VARIABLE}=${control.url}`,
);

async function tearDown(): Promise<void> {
  control.server.closeAllConnections();
  await new Promise((done) => control.server.close(done));
  // Nothing more is printed once the command is done: its summary stays the last line.
  await cluster.destroy({ keepFiles });
  if (keepFiles) say(`logs kept in ${cluster.dir}`);
}

child = spawn(command[0]!, command.slice(1), {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TEST_DATABASE_URL: cluster.url, [CONTROL_VARIABLE]: control.url },
});
let exitCode = 1;
try {
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  exitCode = code ?? (signal ? 128 : 1);
} catch (error) {
  process.stderr.write(`[galera] could not run ${command.join(' ')}: ${(error as Error).message}\n`);
} finally {
  await tearDown();
}
process.exit(exitCode);
