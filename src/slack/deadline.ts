/**
 * Slack waits three seconds for the answer to a modal submission or a click, then shows the
 * person an error of its own ("We had some trouble connecting"), whatever ticketbot answers later
 * (https://docs.slack.dev/interactivity/handling-user-interaction#acknowledgment_response). What
 * the database has not done within this much is given up, and the person is asked to try again.
 */
export const DATABASE_ANSWER_MS = 2_500;

/** The database did not answer in time. */
export class TooSlow extends Error {
  constructor(what: string) {
    super(`the database did not answer in time (${what})`);
  }
}

/**
 * `work`, or TooSlow once `deadline` (ms since the epoch) passes first. `work` goes on regardless;
 * what it comes to after the deadline goes to `late` (its failure is dropped: nobody waits on it).
 */
export function beforeDeadline<T>(
  work: Promise<T>,
  deadline: number,
  what: string,
  late?: (value: T) => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TooSlow(what)), Math.max(0, deadline - Date.now()));
  });
  let settled = false;
  work.then(
    (value) => {
      if (settled) late?.(value);
    },
    () => undefined,
  );
  return Promise.race([work, expired]).finally(() => {
    settled = true;
    clearTimeout(timer);
  });
}
