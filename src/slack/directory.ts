import { ErrorCode, type WebClient } from '@slack/web-api';
import { z } from 'zod';
import { type Database, writeAlone } from '../db/index.js';
import type { User } from '../db/models/user.js';
import { DEFAULT_LANGUAGE, type Language } from '../i18n/index.js';
import type { Logger } from '../logger.js';
import { type AddressBook, type AddressLookup, lookupFromProfile } from '../notifications/addressBook.js';
import { ensureUsers } from '../tickets/index.js';

const PROFILE_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const RECENT_MS = 60 * 1000;
const RECENT_MAX = 10_000;

/**
 * users.info's answers that mean there is no such person to email: `user_not_found` ("Value
 * passed for user was invalid") and `user_not_visible` ("The requested user is not visible to
 * the calling user"), https://api.slack.com/methods/users.info. Any other failure (HTTP errors,
 * timeouts, `ratelimited`, a refused token) says nothing about the person: try again later.
 */
const NO_SUCH_USER = new Set(['user_not_found', 'user_not_visible']);

/**
 * Slack leaves fields a person has not supplied out of the profile ("Data that has not been
 * supplied may not be present at all, may be null or may contain the empty string",
 * https://docs.slack.dev/reference/methods/users.info), and gives `email` only to apps with the
 * users:read.email scope (https://api.slack.com/scopes/users:read.email).
 */
const NO_EMAIL_IN_SLACK =
  'Slack has no email address for this person (without the users:read.email scope it gives none at all)';

/** A users.info lookup: the row as it stands afterwards, and why Slack could not be asked, if so. */
interface Loaded {
  user: User | null;
  failure?: unknown;
}

const usersInfoSchema = z.object({
  user: z.object({
    id: z.string(),
    team_id: z.string().optional(),
    name: z.string().optional(),
    real_name: z.string().optional(),
    is_bot: z.boolean().optional(),
    tz: z.string().nullish(),
    locale: z.string().nullish(),
    profile: z
      .object({
        display_name: z.string().optional(),
        real_name: z.string().optional(),
        email: z.string().optional(),
      })
      .optional(),
  }),
});

/**
 * Names, emails, locale and time zone of Slack users, from users.info, cached in `users` and
 * refreshed when older than a day. The language of each user seen is also kept in memory, so
 * a modal can be opened in the right language without waiting for the database. It is also the
 * email drain's address book: addresses are looked up when an email is sent.
 */
export class UserDirectory implements AddressBook {
  private readonly languages = new Map<string, Language>();
  private readonly inflight = new Map<string, Promise<Loaded>>();
  /** Rows read lately, for what only shows a name or picks a language (cards, DMs). */
  private readonly recent = new Map<string, { user: User | null; at: number }>();

  constructor(
    private readonly db: Database,
    private readonly client: WebClient,
    private readonly logger: Logger,
    /** Which of ticketbot's languages a Slack locale reads (Texts.languageOf). */
    private readonly languageOf: (locale: string | null | undefined) => Language,
  ) {}

  /** The language known in memory, without any I/O (undefined: not seen yet by this process). */
  cachedLanguage(userId: string): Language | undefined {
    return this.languages.get(userId);
  }

  /**
   * The language known without asking Slack: in memory, else the users table, else `fallback`.
   * For what answers Slack within its 3 seconds (an ack), which must not wait on users.info.
   */
  async languageNow(userId: string, fallback: Language = DEFAULT_LANGUAGE): Promise<Language> {
    const cached = this.languages.get(userId);
    if (cached) return cached;
    const user = await this.db.models.User.findByPk(userId, { attributes: ['id', 'locale'] });
    if (!user?.locale) return fallback;
    const language = this.languageOf(user.locale);
    this.languages.set(userId, language);
    return language;
  }

  async language(userId: string): Promise<Language> {
    const cached = this.languages.get(userId);
    if (cached) return cached;
    const user = await this.refresh(userId);
    return this.languageOf(user?.locale);
  }

  /**
   * The user's row as read within the last minute, else refresh(). For display only (a name on a
   * card, the language of a DM): permissions are always checked against the database.
   */
  async profile(userId: string): Promise<User | null> {
    const seen = this.recent.get(userId);
    if (seen && Date.now() - seen.at < RECENT_MS) return seen.user;
    return this.refresh(userId);
  }

  /** The user's row, refreshed from users.info when missing or stale; null when Slack says no. */
  async refresh(userId: string): Promise<User | null> {
    return (await this.loaded(userId)).user;
  }

  /**
   * The email drain's look-up, once per claimed batch: the stored profiles in one query, answered
   * as they are when fresh (no users.info call for them); users.info for the others.
   */
  async lookUp(userIds: string[]): Promise<Map<string, AddressLookup>> {
    const wanted = [...new Set(userIds)];
    const stored = new Map(
      (await this.db.models.User.findAll({ where: { id: wanted } })).map((user) => [user.id, user]),
    );
    const answers = new Map<string, AddressLookup>();
    await Promise.all(
      wanted.map(async (userId) => {
        const known = stored.get(userId);
        if (known && isFresh(known)) {
          answers.set(userId, lookupFromProfile(known, NO_EMAIL_IN_SLACK));
          return;
        }
        answers.set(userId, addressOf(await this.loaded(userId)));
      }),
    );
    return answers;
  }

  /** One users.info call per user at a time, whoever asks. */
  private loaded(userId: string): Promise<Loaded> {
    const running = this.inflight.get(userId);
    if (running) return running;
    const work = this.load(userId).finally(() => this.inflight.delete(userId));
    this.inflight.set(userId, work);
    return work;
  }

  private async load(userId: string): Promise<Loaded> {
    let user = await this.db.models.User.findByPk(userId);
    let failure: unknown;
    if (!user || !isFresh(user)) {
      try {
        const info = usersInfoSchema.parse(
          await this.client.users.info({ user: userId, include_locale: true }),
        );
        const profile = info.user.profile ?? {};
        await writeAlone(this.db, async () => {
          await ensureUsers(this.db, [userId]);
          await this.db.models.User.update(
            {
              teamId: info.user.team_id ?? null,
              name: profile.display_name || info.user.name || null,
              realName: profile.real_name || info.user.real_name || null,
              email: profile.email || null,
              locale: info.user.locale ?? null,
              tz: info.user.tz ?? null,
              isBot: info.user.is_bot ?? false,
              profileRefreshedAt: new Date(),
            },
            { where: { id: userId } },
          );
        });
        user = await this.db.models.User.findByPk(userId);
      } catch (error) {
        // A directory failure must not block the helpdesk: the cached row (or the id) will do.
        failure = error;
        this.logger.warn({ err: error, slackUser: userId }, 'users.info failed; using what is cached');
      }
    }
    if (user) this.languages.set(userId, this.languageOf(user.locale));
    if (this.recent.size >= RECENT_MAX) this.recent.clear();
    this.recent.set(userId, { user, at: Date.now() });
    return { user, failure };
  }
}

function isFresh(user: User): boolean {
  return Boolean(
    user.profileRefreshedAt && Date.now() - user.profileRefreshedAt.getTime() < PROFILE_MAX_AGE_MS,
  );
}

/**
 * The address book's answer after a users.info lookup. Slack unreachable with an address
 * already stored (a profile more than a day old): that address is used rather than holding the
 * email back, since an address rarely changes; with none stored, the email waits for Slack.
 */
function addressOf({ user, failure }: Loaded): AddressLookup {
  if (failure !== undefined) {
    const slackError = (failure as { code?: string; data?: { error?: string } }).data?.error;
    if (
      (failure as { code?: string }).code === ErrorCode.PlatformError &&
      slackError &&
      NO_SUCH_USER.has(slackError)
    )
      return { kind: 'no_email', reason: `Slack knows no such person (users.info: ${slackError})` };
    if (user?.email) return lookupFromProfile(user, NO_EMAIL_IN_SLACK);
    return {
      kind: 'unreachable',
      reason: `users.info failed: ${(failure as Error).message ?? String(failure)}`,
    };
  }
  if (!user) return { kind: 'unreachable', reason: 'users.info gave no profile' };
  return lookupFromProfile(user, NO_EMAIL_IN_SLACK);
}
