import type { Database } from '../db/index.js';
import { displayName } from '../db/models/user.js';
import type { Logger } from '../logger.js';
import { listRequestTypes, listTechnicians, type RequestTypeView } from '../tickets/index.js';
import type { RosterEntry } from './blocks/newTicketModal.js';
import type { UserDirectory } from './directory.js';

const REFRESH_MS = 5_000;

/**
 * The technician roster and the request types kept in memory for the new-ticket modal: the
 * trigger_id expires after 3 s, so the modal opens from this copy instead of a query. Reloaded
 * after each change here and every five seconds (other replicas' changes); the domain checks the
 * picks anyway.
 */
export class RosterCache {
  private entries: RosterEntry[] = [];
  private types: RequestTypeView[] = [];
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
    const [technicians, types] = await Promise.all([listTechnicians(this.db), listRequestTypes(this.db)]);
    this.entries = technicians.map((user) => ({ id: user.id, name: displayName(user) }));
    this.types = types;
  }

  current(): RosterEntry[] {
    return this.entries;
  }

  /** The request types people can pick (not archived), by name; empty when none are defined. */
  requestTypes(): RequestTypeView[] {
    return this.types;
  }
}

/**
 * Fetches the profiles of people put on the roster (TECHNICIAN_USER_IDS and ADMIN_USER_IDS at
 * start-up, an admin's change in the App Home), then reloads the roster: their names show in
 * the modal at once, and their addresses are known before their first email (the email drain
 * would look them up anyway). Profiles fetched within the day are not asked for again; a
 * failed fetch is logged and changes nothing else.
 */
export async function fetchRosterProfiles(
  directory: UserDirectory,
  roster: RosterCache,
  userIds: string[],
  logger: Logger,
): Promise<void> {
  await Promise.all(
    [...new Set(userIds)].map((userId) =>
      directory
        .refresh(userId)
        .catch((error: unknown) =>
          logger.warn({ err: error, slackUser: userId }, 'could not fetch a technician’s profile'),
        ),
    ),
  );
  await roster.reload();
}
