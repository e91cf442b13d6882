import type { Logger } from '../logger.js';
import type { Background } from './background.js';

/**
 * The two rhythms of work claimed in the database (the Slack inbox and outbox): a heartbeat that
 * renews this process's claims, and a catch-up that takes what nobody holds, each every third of
 * the claim, so that a dead process's work is taken over well within one claim. The heartbeat
 * does not wait its turn with the background work (a busy process keeps what it holds); a
 * catch-up still running when the next is due is not started twice.
 */
export class ClaimKeeper {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly what: string,
    private readonly claimMs: number,
    private readonly work: { renew(): Promise<void>; catchUp(): Promise<number> },
    private readonly background: Background,
    private readonly logger: Logger,
  ) {}

  start(): void {
    let catchingUp = false;
    this.timer = setInterval(
      () => {
        const beat = this.work
          .renew()
          .catch((error: unknown) =>
            this.logger.warn({ err: error }, `could not renew the claims on ${this.what}`),
          );
        if (catchingUp) return;
        catchingUp = true;
        this.round = Promise.all([
          beat,
          this.background
            .run(`catch-up of ${this.what}`, () => this.work.catchUp())
            .finally(() => {
              catchingUp = false;
            }),
        ]);
      },
      Math.max(1_000, Math.floor(this.claimMs / 3)),
    );
    this.timer.unref();
  }

  /** No more rounds; resolves when the one under way (if any) has finished. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.round;
  }
}
