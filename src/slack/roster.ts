import type { Database } from '../db/index.js';
import { displayName } from '../db/models/user.js';
import type { Logger } from '../logger.js';
import { listRequestTypes, listTechnicians, type RequestTypeView } from '../tickets/index.js';
import type { RosterEntry } from './blocks/newTicketModal.js';
import type { UserDirectory } from './directory.js';
import type { ChannelPrivacy } from './privateChannels.js';

const REFRESH_MS = 5_000;

const PRIVACY_PROBLEM: Record<Exclude<ChannelPrivacy, 'private'>, string> = {
  public: 'is public',
  not_found: 'was not found (deleted, or ticketbot is not a member: /invite @ticketbot there)',
  unreadable:
    'cannot be checked: the app lacks channels:read / groups:read (update its manifest and reinstall it)',
};

/**
 * The technician roster and the request types kept in memory for the new-ticket modal: the
 * trigger_id expires after 3 s, so the modal opens from this copy instead of a query. Reloaded
 * after each change here and every five seconds (other replicas' changes); the domain checks the
 * picks anyway.
 */
export class RosterCache {
  private entries: RosterEntry[] = [];
  private types: RequestTypeView[] = [];
  private privateTypeIds = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  /** What Slack said of each private type's channel (conversations.info), asked once per channel. */
  private readonly privacy = new Map<string, ChannelPrivacy>();

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    /** Asks Slack whether a channel is private; without it, private types are taken as they are. */
    private readonly checkChannel?: (channelId: string) => Promise<ChannelPrivacy>,
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
    const [technicians, all] = await Promise.all([
      listTechnicians(this.db),
      listRequestTypes(this.db, { includeArchived: true }),
    ]);
    this.entries = technicians.map((user) => ({ id: user.id, name: displayName(user) }));
    const types = all.filter((type) => !type.archived);
    await this.checkPrivateChannels(types);
    this.types = types;
    this.privateTypeIds = new Set(all.filter((type) => type.isPrivate).map((type) => type.id));
  }

  /** Whether a type (archived ones too) is private, as of the last reload. */
  isPrivateType(typeId: number): boolean {
    return this.privateTypeIds.has(typeId);
  }

  /**
   * A private type's cards must never reach a public channel: each private type's channel is
   * asked of Slack once (at start-up, then as new ones appear). A type whose channel is public,
   * gone, or cannot be read is not offered (logged as an error, with what to do), so its tickets
   * cannot be opened until an admin picks a private channel; the rest of the helpdesk runs on.
   * Slack not answering leaves the channel to be asked again at the next reload, and the type
   * unoffered meanwhile.
   */
  private async checkPrivateChannels(types: RequestTypeView[]): Promise<void> {
    const check = this.checkChannel;
    if (!check) return;
    const unasked = [
      ...new Set(
        types.flatMap((type) =>
          type.isPrivate && type.channelId && !this.privacy.has(type.channelId) ? [type.channelId] : [],
        ),
      ),
    ];
    await Promise.all(
      unasked.map(async (channelId) => {
        try {
          const privacy = await check(channelId);
          this.notePrivacy(channelId, privacy);
          if (privacy === 'private') return;
          const names = types
            .filter((type) => type.isPrivate && type.channelId === channelId)
            .map((type) => type.name);
          this.logger.error(
            { channel: channelId, requestTypes: names, privacy },
            `private request type ${names.map((name) => `"${name}"`).join(', ')} is not offered: its channel ${channelId} ${PRIVACY_PROBLEM[privacy]}; an admin picks a private channel for it in the App Home (Request types → Edit)`,
          );
        } catch (error) {
          this.logger.warn(
            { err: error, channel: channelId },
            'could not ask Slack whether a private request type’s channel is private; the type is not offered until it answers',
          );
        }
      }),
    );
  }

  /** Remembers what Slack said of a channel (the App Home asked it when a type was saved). */
  notePrivacy(channelId: string, privacy: ChannelPrivacy): void {
    this.privacy.set(channelId, privacy);
  }

  /** Whether a type may be used: a private one only once Slack said its channel is private. */
  usable(type: RequestTypeView): boolean {
    if (!type.isPrivate || !this.checkChannel) return true;
    return type.channelId !== null && this.privacy.get(type.channelId) === 'private';
  }

  current(): RosterEntry[] {
    return this.entries;
  }

  /** The request types people can pick (not archived), by name; empty when none are defined. */
  requestTypes(): RequestTypeView[] {
    return this.types.filter((type) => this.usable(type));
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
