/**
 * The problems listed by the error `attempt` throws (ConfigError, TextsError: every problem at
 * once); fails the test when `attempt` throws nothing, or another error.
 */
export function problemsFrom(
  attempt: () => unknown,
  kind: abstract new (...args: never[]) => Error & { problems: string[] },
): string[] {
  try {
    attempt();
  } catch (error) {
    if (error instanceof kind) return error.problems;
    throw error;
  }
  throw new Error(`expected a ${kind.name}, but nothing was refused`);
}
