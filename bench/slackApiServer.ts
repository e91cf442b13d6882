import { CARD_EVENT_TYPE } from '../src/slack/blocks/ids.js';
import { FakeSlack, type SlackCall } from '../test/support/slackApi.js';

// The test Slack for the benchmarks, in its own process: answering ticketbot's Web API calls must
// not delay the load generator's clock. Prints {"url": …} once listening; stops on SIGTERM.
//
// Started with an IPC channel (bench:storm, bench:soak), it also answers questions from the
// benchmark (see SlackQuestion): turn Slack's rate limits on, the modal opened for a trigger_id,
// the cards and DMs posted with when Slack accepted them, calls and 429s per method.
// BENCH_SLACK_RECORD=1 keeps every call and the channels' history (conversations.history then
// finds earlier posts, as on Slack): for a short run only, the record grows without end.

export type SlackQuestion =
  | { op: 'enforceRateLimits' }
  | { op: 'opened'; triggerId: string }
  | { op: 'cards'; since?: number; withBlocks?: boolean; last?: number }
  | { op: 'stats' };

/** A card as the benchmark sees it: where it is, when Slack accepted it, its latest blocks. */
export interface PostedCard {
  ticketId: number;
  channel: string;
  ts: string;
  at: number;
  blocks?: unknown[];
}

export interface SlackStats {
  callsByMethod: Record<string, number>;
  ratelimitedByMethod: Record<string, number>;
  /** Card posts Slack accepted, per ticket id (more than one: a card doubled). */
  cardPosts: Record<string, number>;
  lastCardAt: number;
  /** DMs Slack accepted: how many, to how many channels, the ticket ids they name, the last one's time. */
  dms: number;
  dmChannels: number;
  dmTicketIds: number[];
  lastDmAt: number;
  /** views.open calls per trigger_id that Slack refused (429 or an error). */
  modalsRefused: number;
}

const slack = await FakeSlack.start();
slack.record = process.env.BENCH_SLACK_RECORD === '1';

const opened = new Map<string, { view: Record<string, unknown>; response: Record<string, unknown> }>();
const refusedTriggers = new Map<string, string>();
const cards = new Map<string, PostedCard>();
const cardPosts = new Map<number, number>();
const dmChannels = new Set<string>();
const dmTicketIds: number[] = [];
let dms = 0;
let lastCardAt = 0;
let lastDmAt = 0;
let modalsRefused = 0;
const keepBlocks = process.env.BENCH_SLACK_CARD_BLOCKS === '1';

slack.onCall = (call: SlackCall, at: number) => {
  const { method, args, response } = call;
  if (method === 'views.open') {
    const trigger = String(args.trigger_id ?? '');
    if (response.ok === true) opened.set(trigger, { view: args.view as Record<string, unknown>, response });
    else {
      modalsRefused += 1;
      refusedTriggers.set(trigger, String(response.error ?? `HTTP ${String(response.httpStatus)}`));
    }
    return;
  }
  if (response.ok !== true) return;
  if (method === 'chat.postMessage') {
    const channel = String(response.channel);
    const metadata = args.metadata as
      | { event_type?: string; event_payload?: { ticket_id?: number } }
      | undefined;
    if (metadata?.event_type === CARD_EVENT_TYPE && args.thread_ts === undefined) {
      const ticketId = Number(metadata.event_payload?.ticket_id);
      cardPosts.set(ticketId, (cardPosts.get(ticketId) ?? 0) + 1);
      lastCardAt = Math.max(lastCardAt, at);
      cards.set(String(response.ts), {
        ticketId,
        channel,
        ts: String(response.ts),
        at,
        ...(keepBlocks ? { blocks: args.blocks as unknown[] } : {}),
      });
    } else if (channel.startsWith('D')) {
      dms += 1;
      dmChannels.add(channel);
      const id = /#(\d+)/.exec(String(args.text ?? ''))?.[1];
      if (id) dmTicketIds.push(Number(id));
      lastDmAt = Math.max(lastDmAt, at);
    }
  } else if (method === 'chat.update' && keepBlocks) {
    const card = cards.get(String(args.ts));
    if (card && Array.isArray(args.blocks)) card.blocks = args.blocks as unknown[];
  }
};

function answer(question: SlackQuestion): unknown {
  switch (question.op) {
    case 'enforceRateLimits':
      slack.enforceRateLimits();
      return true;
    case 'opened': {
      const found = opened.get(question.triggerId);
      if (found) opened.delete(question.triggerId);
      const refused = refusedTriggers.get(question.triggerId);
      if (refused) refusedTriggers.delete(question.triggerId);
      return found ?? (refused ? { refused } : null);
    }
    case 'cards':
      return [...cards.values()]
        .slice(-(question.last ?? cards.size))
        .filter((card) => card.at > (question.since ?? 0))
        .map((card) => (question.withBlocks ? card : { ...card, blocks: undefined }));
    case 'stats':
      return {
        callsByMethod: Object.fromEntries(slack.callsByMethod),
        ratelimitedByMethod: Object.fromEntries(slack.ratelimitedByMethod),
        cardPosts: Object.fromEntries(cardPosts),
        lastCardAt,
        dms,
        dmChannels: dmChannels.size,
        dmTicketIds,
        lastDmAt,
        modalsRefused,
      } satisfies SlackStats;
  }
}

process.on('message', (message: { id: number; question: SlackQuestion }) => {
  process.send?.({ id: message.id, answer: answer(message.question) });
});
process.stdout.write(`${JSON.stringify({ url: slack.url })}\n`);
process.on('SIGTERM', () => void slack.stop().then(() => process.exit(0)));
