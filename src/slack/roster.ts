import type { Database } from '../db/index.js';
import { displayName } from '../db/models/user.js';
import type { Logger } from '../logger.js';
import { listTechnicians } from '../tickets/index.js';
import type { RosterEntry } from './blocks/newTicketModal.js';

const REFRESH_MS = 60_000;

/**
 * The technician roster kept in memory for the new-ticket modal: the trigger_id expires after
 * 3 s, so the modal opens from this copy instead of a query. Reloaded after each roster change
 * here and every minute (other replicas' changes); the domain checks the pick anyway.
 */
export class RosterCache {
  private entries: RosterEntry[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch((error: unknown) => this.logger.warn({ err: error }, 'roster reload failed'));
    }, REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async reload(): Promise<void> {
    const technicians = await listTechnicians(this.db);
    this.entries = technicians.map((user) => ({ id: user.id, name: displayName(user) }));
  }

  current(): RosterEntry[] {
    return this.entries;
  }
}
