import type { Database } from '../db/index.js';
import { displayName } from '../db/models/user.js';

/** What the address book knows of one Slack user when an email to them is about to be sent. */
export type AddressLookup =
  | {
      kind: 'found';
      email: string;
      name: string | null;
      /** Slack locale (`fr-FR`): picks the email's language. */
      locale: string | null;
      /** IANA zone dates are shown in. */
      timeZone: string | null;
    }
  /** Final: Slack answered, and has no address for this person (the email is `skipped`). */
  | { kind: 'no_email'; reason: string }
  /** Temporary: Slack could not be asked (the email waits and is tried again, as after an SMTP 4xx). */
  | { kind: 'unreachable'; reason: string };

/**
 * Where the drain finds the address, name, language and time zone of the Slack users its emails
 * are for. Implemented by the Slack side (users.info, cached in `users`); without Slack, the
 * `users` table is all there is. One call per claimed batch: an implementation answers fresh
 * profiles from storage and asks Slack only for the others.
 */
export interface AddressBook {
  /** One answer per id. Rejects only when nothing could be read at all (the database is down). */
  lookUp(userIds: string[]): Promise<Map<string, AddressLookup>>;
}

/** The answer for a stored profile (a `users` row): its address, or plainly none. */
export function lookupFromProfile(
  user: {
    id: string;
    name: string | null;
    realName: string | null;
    email: string | null;
    locale: string | null;
    tz: string | null;
    isBot: boolean;
  },
  noEmailReason: string,
): AddressLookup {
  if (user.isBot) return { kind: 'no_email', reason: 'this Slack user is a bot: bots have no email address' };
  if (!user.email) return { kind: 'no_email', reason: noEmailReason };
  const name = displayName(user);
  return {
    kind: 'found',
    email: user.email,
    name: name === user.id ? null : name,
    locale: user.locale,
    timeZone: user.tz,
  };
}

/** Without Slack: the addresses the `users` table holds, and nothing else to ask. */
export function storedAddressBook(db: Database): AddressBook {
  return {
    async lookUp(userIds) {
      const users = await db.models.User.findAll({ where: { id: [...new Set(userIds)] } });
      const byId = new Map(users.map((user) => [user.id, user]));
      return new Map(
        userIds.map((id): [string, AddressLookup] => {
          const user = byId.get(id);
          return [
            id,
            user ? lookupFromProfile(user, NO_STORED_EMAIL) : { kind: 'no_email', reason: NO_STORED_EMAIL },
          ];
        }),
      );
    },
  };
}

const NO_STORED_EMAIL = 'no email address stored for this person, and Slack is not connected to look it up';

/**
 * An address book that becomes known later (the Slack side starts after notifications, whose
 * hooks must be in place first). Lookups made before then wait; `abandon` makes them fail, so a
 * drain under way at a failed start-up gives its rows back instead of judging them.
 */
export class PendingAddressBook implements AddressBook {
  private settle!: (book: AddressBook | Error) => void;
  private readonly book = new Promise<AddressBook | Error>((resolve) => {
    this.settle = resolve;
  });

  use(book: AddressBook): void {
    this.settle(book);
  }

  abandon(reason: string): void {
    this.settle(new Error(reason));
  }

  async lookUp(userIds: string[]): Promise<Map<string, AddressLookup>> {
    const book = await this.book;
    if (book instanceof Error) throw book;
    return book.lookUp(userIds);
  }
}
