/**
 * The oldest Node.js ticketbot runs on: 20.12 added `process.loadEnvFile`, which reads `.env`.
 * Checked before anything else loads, so an older Node gets one line saying what to install
 * instead of a stack trace from deep inside a dependency.
 */
export const MINIMUM_NODE = '20.12.0';

function parts(version: string): number[] {
  return version
    .replace(/^v/, '')
    .split('.')
    .map((part) => Number.parseInt(part, 10) || 0);
}

/** What is wrong with running on Node `version`, or undefined when it is new enough. */
export function nodeVersionProblem(version: string): string | undefined {
  const [major = 0, minor = 0, patch = 0] = parts(version);
  const [needMajor = 0, needMinor = 0, needPatch = 0] = parts(MINIMUM_NODE);
  const newEnough =
    major !== needMajor ? major > needMajor : minor !== needMinor ? minor > needMinor : patch >= needPatch;
  if (newEnough) return undefined;
  return `ticketbot needs Node.js ${MINIMUM_NODE} or newer (this is ${version.replace(/^v?/, 'v')}); install a current LTS release (22 or 24) from https://nodejs.org`;
}

/** Stops the process with that line when this Node is too old. */
export function exitIfNodeTooOld(): void {
  const problem = nodeVersionProblem(process.versions.node);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}
