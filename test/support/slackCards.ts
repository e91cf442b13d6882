import type { Database } from '../../src/db/index.js';
import type { Ticket } from '../../src/db/models/ticket.js';

// What Slack keeps about a ticket (slack_cards, slack_rating_prompts), read the way the tests
// check it: the card by the ticket, the ticket by its card.

/** The ticket whose card is the message `ts`. */
export async function ticketOfCard(db: Database, ts: string): Promise<Ticket | null> {
  const card = await db.models.SlackCard.findOne({ where: { messageTs: ts } });
  return card ? db.models.Ticket.findByPk(card.ticketId) : null;
}

/** The ticket's card record (where it is, its lease, the DMs sent), plain; null when it has none. */
export async function cardOf(db: Database, ticketId: number) {
  const card = await db.models.SlackCard.findByPk(ticketId);
  return card ? card.get({ plain: true }) : null;
}

/** The ticket titled `title` and its card record; undefined until both exist. */
export async function ticketWithCard(db: Database, title: string) {
  const ticket = await db.models.Ticket.findOne({ where: { title } });
  const card = ticket ? await cardOf(db, ticket.id) : null;
  return ticket && card ? { ticket, card } : undefined;
}

/** Where the ticket's rating DMs still waiting are, oldest closing first. */
export async function ratingPromptsOf(db: Database, ticketId: number) {
  const prompts = await db.models.SlackRatingPrompt.findAll({
    where: { ticketId },
    order: [['resolution', 'ASC']],
  });
  return prompts.map((prompt) => ({
    resolution: prompt.resolution,
    channel: prompt.channelId,
    ts: prompt.messageTs,
  }));
}
