import { describe, expect, it } from 'vitest';
import type { Ticket } from '../../src/db/models/ticket.js';
import type { User } from '../../src/db/models/user.js';
import { appHome } from '../../src/slack/blocks/appHome.js';
import { commentCopyText } from '../../src/slack/blocks/commentCopy.js';
import { commentModal, noticeModal } from '../../src/slack/blocks/commentModal.js';
import { parseTicketActionsBlockId, ticketActionsBlockId } from '../../src/slack/blocks/ids.js';
import { newTicketModal } from '../../src/slack/blocks/newTicketModal.js';
import { ratingPrompt, ratingRemarkModal, ratingThanks } from '../../src/slack/blocks/ratingPrompt.js';
import { ticketCard } from '../../src/slack/blocks/ticketCard.js';
import { readableSlackText } from '../../src/slack/newTicketFlow.js';
import { escapeAndTruncate, escapeMrkdwn, truncate } from '../../src/slack/text.js';
import type { TicketView } from '../../src/tickets/queries.js';
import type { RequestTypeView } from '../../src/tickets/requestTypes.js';
import { validateBlocks, validateView } from '../support/slackBlockKit.js';
import { texts } from '../support/texts.js';

// The pure parts: escaping, truncation, and the Block Kit each view produces, checked against
// the same limits the test Slack enforces.

const en = texts.slack('en');
const fr = texts.slack('fr');
const de = texts.slack('de');

function ticket(overrides: Partial<Ticket> = {}): Ticket {
  return {
    id: 42,
    title: 'Printer jams',
    description: 'Every second page',
    priority: 'high',
    status: 'open',
    requesterId: 'U0REQUEST1',
    technicianId: null,
    sourceChannelId: null,
    sourceMessageTs: null,
    sourcePermalink: null,
    version: 3,
    resolution: 0,
    lastActivityAt: new Date('2026-11-26T10:00:00Z'),
    closedAt: null,
    createdAt: new Date('2026-11-26T09:00:00Z'),
    updatedAt: new Date('2026-11-26T10:00:00Z'),
    ...overrides,
  } as Ticket;
}

const user = (id: string, name: string | null, extra: Partial<User> = {}) =>
  ({ id, name, realName: null, locale: 'en-US', isTechnician: false, isAdmin: false, ...extra }) as User;

function view(t: Partial<Ticket> = {}): TicketView {
  return {
    ticket: ticket(t),
    requester: user('U0REQUEST1', 'Rita <the boss>'),
    technician: t.technicianId ? user(t.technicianId, 'Tom') : null,
    latest: {
      event: {
        type: 'status_changed',
        actorId: 'U0TECH0001',
        fromValue: 'open',
        toValue: 'in_progress',
        createdAt: new Date(),
      } as never,
      actor: user('U0TECH0001', 'Tom'),
    },
  };
}

describe('mrkdwn escaping and truncation', () => {
  it('escapes the three control characters and nothing else', () => {
    expect(escapeMrkdwn('<!channel> & <@U123> *bold* _x_')).toBe(
      '&lt;!channel&gt; &amp; &lt;@U123&gt; *bold* _x_',
    );
  });

  it('cuts to the limit with an ellipsis, never inside an entity or a surrogate pair', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('😀😀😀', 5)).toBe('😀😀…');
    const cut = escapeAndTruncate('a<<<<<<<<', 10);
    expect(cut.length).toBeLessThanOrEqual(10);
    expect(cut).toBe('a&lt;&lt;…');
    expect(escapeAndTruncate('short & sweet', 100)).toBe('short &amp; sweet');
  });
});

describe('a comment copied into the thread', () => {
  const link = 'https://help.example.com/tickets/42';
  it('is copied whole, escaped, while it fits in a message', () => {
    const body = `${'a&b<c>'.repeat(499)}end!!!`;
    const text = commentCopyText('*Tom*', body, link, en);
    expect(text).toBe(`*Tom*: ${escapeMrkdwn(body)}`);
    expect(text).not.toContain('status page');
  });

  it('past the 40,000 characters Slack shows, stops with a line saying so and a link to the whole', () => {
    const body = `${'&'.repeat(39_000)}😀${'x'.repeat(5_000)}`;
    for (const t of [en, fr, de]) {
      const text = commentCopyText('*Tom*', body, link, t);
      expect(text.length).toBeLessThanOrEqual(40_000);
      expect(text).toMatch(/^\*Tom\* ?: (&amp;)+…\n_/);
      expect(text).toContain(`<${link}|`);
    }
    expect(commentCopyText('*Tom*', body, link, en)).toContain(
      'Slack shows messages up to 40,000 characters',
    );
  });
});

describe('message text from Slack, made readable', () => {
  it('turns links, mentions, channels, broadcasts and dates into what people read in Slack', () => {
    const names = new Map([['U0RITA0001', 'Rita']]);
    const cases: Array<[string, string]> = [
      ['a &amp; b &lt;c&gt;', 'a & b <c>'],
      ['<https://x.example/a?b=1&amp;c=2>', 'https://x.example/a?b=1&c=2'],
      ['<https://x.example|the docs>', 'the docs (https://x.example)'],
      ['<mailto:it@example.com|it@example.com>', 'it@example.com'],
      ['hi <@U0RITA0001> and <@U0NOBODY01>', 'hi @Rita and @U0NOBODY01'],
      ['<@U0RITA0001|rita.old>', '@rita.old'],
      ['in <#C0GENERAL1|general> and <#C0PRIVATE1>', 'in #general and #C0PRIVATE1'],
      ['<!here> <!channel> <!subteam^S0TEAM|@it-team>', '@here @channel @it-team'],
      ['<!date^1700000000^{date_short}|Nov 14, 2023>', 'Nov 14, 2023'],
      ['a &lt;b&gt; <not closed', 'a <b> <not closed'],
    ];
    for (const [slack, readable] of cases) expect(readableSlackText(slack, names), slack).toBe(readable);
  });
});

describe('Block Kit views', () => {
  it('ticket card: fields, escaped description, latest activity, buttons carrying id and version', () => {
    const { text, blocks } = ticketCard(view({ description: 'a <b> & c' }), en);
    expect(text).toBe('Ticket #42: Printer jams');
    expect(blocks[0]).toMatchObject({ type: 'header', text: { text: '#42 Printer jams' } });
    expect(JSON.stringify(blocks[1])).toContain('Rita &lt;the boss&gt;');
    expect(blocks[2]).toMatchObject({
      type: 'section',
      text: { type: 'mrkdwn', text: 'a &lt;b&gt; &amp; c' },
    });
    expect(JSON.stringify(blocks[3])).toContain('Tom moved it from Open to In progress');
    const actions = blocks.at(-1) as { block_id: string; elements: Array<{ action_id: string }> };
    expect(parseTicketActionsBlockId(actions.block_id)).toEqual({ ticketId: 42, version: 3 });
    expect(actions.elements.map((e) => e.action_id)).toEqual([
      'ticket_assign',
      'ticket_priority',
      'ticket_start',
      'ticket_close',
      'ticket_comment',
    ]);
    expect(validateBlocks(blocks, 'message')).toEqual([]);
  });

  it('offers only the buttons that apply: a closed ticket can be reopened, not started or assigned', () => {
    const { blocks } = ticketCard(view({ status: 'closed' }), en);
    const actions = blocks.at(-1) as { elements: Array<{ action_id: string }> };
    expect(actions.elements.map((e) => e.action_id)).toEqual(['ticket_reopen', 'ticket_comment']);
  });

  it('offers Unassign only while a technician is named and the ticket is not closed', () => {
    const ids = (t: Partial<Ticket>, catalog = en) =>
      (ticketCard(view(t), catalog).blocks.at(-1) as { elements: Array<{ action_id: string }> }).elements.map(
        (e) => e.action_id,
      );
    expect(ids({ technicianId: 'U0TECH0001' })).toEqual([
      'ticket_assign',
      'ticket_unassign',
      'ticket_priority',
      'ticket_start',
      'ticket_close',
      'ticket_comment',
    ]);
    expect(ids({ technicianId: 'U0TECH0001', status: 'in_progress' })).toContain('ticket_unassign');
    expect(ids({ technicianId: null })).not.toContain('ticket_unassign');
    expect(ids({ technicianId: 'U0TECH0001', status: 'closed' })).not.toContain('ticket_unassign');
    const { blocks } = ticketCard(view({ technicianId: 'U0TECH0001' }), fr);
    const unassign = (blocks.at(-1) as { elements: Array<{ action_id: string }> }).elements[1];
    expect(unassign).toMatchObject({ type: 'button', text: { text: 'Désassigner' }, value: '42' });
    expect(validateBlocks(blocks, 'message')).toEqual([]);
    const home = appHome(
      {
        viewer: user('U0TECH0001', 'Tom', { isTechnician: true }),
        mine: { tickets: [], total: 0 },
        assigned: { tickets: [ticket({ technicianId: 'U0TECH0001' })], total: 1 },
      },
      en,
    );
    expect(JSON.stringify(home)).toContain('ticket_unassign');
    expect(validateView(home)).toEqual([]);
  });

  it('App Home: a priority select in each open ticket’s row for technicians and admins, no extra block', () => {
    const tickets = {
      tickets: [ticket({ id: 7, priority: 'high' }), ticket({ id: 8, status: 'closed' })],
      total: 2,
    };
    const selects = (home: ReturnType<typeof appHome>) =>
      home.blocks.flatMap((block) =>
        'elements' in block && block.type === 'actions'
          ? (block.elements as Array<{ action_id?: string; initial_option?: { value: string } }>)
              .filter((element) => element.action_id === 'ticket_priority')
              .map((element) => [block.block_id, element.initial_option?.value])
          : [],
      );
    const tech = appHome(
      {
        viewer: user('U0TECH0001', 'Tom', { isTechnician: true }),
        mine: tickets,
        assigned: { tickets: [ticket({ id: 9, technicianId: 'U0TECH0001', priority: 'low' })], total: 1 },
      },
      en,
    );
    expect(selects(tech)).toEqual([
      ['ticket_actions:7:3:mine', 'high'],
      ['ticket_actions:9:3:assigned', 'low'],
    ]);
    expect(validateView(tech)).toEqual([]);
    const admin = appHome({ viewer: user('U0ADMIN001', 'Ada', { isAdmin: true }), mine: tickets }, en);
    expect(selects(admin)).toEqual([['ticket_actions:7:3:mine', 'high']]);
    // A requester is not offered it (the rules would refuse them); the same tickets take as many blocks.
    const requester = appHome({ viewer: user('U0REQUEST1', 'Rita'), mine: tickets }, en);
    expect(selects(requester)).toEqual([]);
    expect(requester.blocks).toHaveLength(admin.blocks.length);
  });

  it('stays within every limit with the longest inputs', () => {
    const { blocks } = ticketCard(
      view({
        title: 'T'.repeat(150),
        description: '&'.repeat(3000),
        sourceMessageTs: '1',
        sourcePermalink: `https://x/${'p'.repeat(400)}`,
      }),
      fr,
    );
    expect(validateBlocks(blocks, 'message')).toEqual([]);
    const modal = newTicketModal(
      { title: 'x'.repeat(500), description: 'y'.repeat(5000) },
      Array.from({ length: 250 }, (_, i) => ({ id: `U${i}`, name: 'N'.repeat(200) })),
      { channelId: 'C1', source: { channelId: 'C1', messageTs: '1.2' } },
      fr,
    );
    expect(validateView(modal)).toEqual([]);
  });

  it('new-ticket modal in French with the roster as options and normal priority preselected', () => {
    const modal = newTicketModal(
      { title: 'Imprimante' },
      [{ id: 'U0TECH0001', name: 'Tom' }],
      { channelId: 'C1' },
      fr,
    );
    expect(modal).toMatchObject({
      callback_id: 'new_ticket',
      title: { text: 'Nouveau ticket' },
      submit: { text: 'Créer' },
    });
    expect(JSON.parse(modal.private_metadata!)).toEqual({ channelId: 'C1' });
    const technician = modal.blocks.find((b) => b.block_id === 'technician') as {
      element: { options: Array<{ value: string }> };
    };
    expect(technician.element.options).toEqual([expect.objectContaining({ value: 'U0TECH0001' })]);
    const priority = modal.blocks.find((b) => b.block_id === 'priority') as {
      element: { initial_option: { value: string } };
    };
    expect(priority.element.initial_option.value).toBe('normal');
  });

  it('rating prompt: five buttons tied to the resolution and no input block (a message takes none); the thank-you offers a remark, then shows it', () => {
    const { blocks } = ratingPrompt(
      ticket({ status: 'closed', resolution: 2, technicianId: 'U0TECH0001' }),
      'Tom',
      en,
    );
    const actions = blocks.find((b) => b.type === 'actions') as {
      block_id: string;
      elements: Array<{ value: string }>;
    };
    expect(actions.block_id).toBe('rating:42:2');
    expect(actions.elements.map((e) => e.value)).toEqual(['42:2:1', '42:2:2', '42:2:3', '42:2:4', '42:2:5']);
    expect(blocks.map((b) => b.type)).not.toContain('input');
    expect(validateBlocks(blocks, 'message')).toEqual([]);

    const offered = ratingThanks({ ticketId: 42, resolution: 2, score: 4, remark: null }, en);
    expect(offered.text).toBe('Thank you! You rated this ticket 4/5.');
    expect(offered.blocks[1]).toMatchObject({
      type: 'actions',
      elements: [{ action_id: 'ticket_rate_remark', value: '42:2:4' }],
    });
    expect(validateBlocks(offered.blocks, 'message')).toEqual([]);

    const shown = ratingThanks(
      { ticketId: 42, resolution: 2, score: 4, remark: 'Fast <!channel> & kind' },
      en,
    );
    expect(shown.blocks.map((b) => b.type)).toEqual(['section', 'context']);
    expect(JSON.stringify(shown.blocks)).toContain('Your remark: Fast &lt;!channel&gt; &amp; kind');
    const long = ratingThanks({ ticketId: 42, resolution: 2, score: 4, remark: '&'.repeat(1000) }, en);
    expect(validateBlocks(long.blocks, 'message')).toEqual([]);

    const modal = ratingRemarkModal({ ticketId: 42, resolution: 2, score: 4, channel: 'D1', ts: '1.2' }, en);
    expect(modal.blocks[0]).toMatchObject({
      type: 'input',
      block_id: 'rating_remark',
      element: { type: 'plain_text_input', max_length: 1000 },
    });
    expect(JSON.parse(modal.private_metadata!)).toEqual({
      ticketId: 42,
      resolution: 2,
      score: 4,
      channel: 'D1',
      ts: '1.2',
    });
    expect(validateView(modal, 'modal')).toEqual([]);
    expect(
      validateView(
        ratingRemarkModal({ ticketId: 42, resolution: 2, score: 4, channel: 'D1', ts: '1.2' }, fr),
        'modal',
      ),
    ).toEqual([]);
  });

  it('App Home never exceeds 100 blocks, however many tickets and technicians, even when mine are also assigned to me', () => {
    const many = { tickets: Array.from({ length: 50 }, (_, i) => ticket({ id: i + 1 })), total: 500 };
    const roster = Array.from({ length: 200 }, (_, i) => user(`U${i}`, `Tech ${i}`, { isTechnician: true }));
    const home = appHome(
      {
        viewer: user('U0ADMIN001', 'Ada', { isAdmin: true, isTechnician: true }),
        mine: many,
        assigned: many,
        roster,
      },
      en,
    );
    expect(validateView(home)).toEqual([]);
    expect(JSON.stringify(home)).toContain('roster_add');
    expect(JSON.stringify(home)).toContain('…and 492 more');
  });

  it('App Home at its fullest (every list past its limit, request types too) keeps the email choices whole, last, within 100 blocks', () => {
    const many = { tickets: Array.from({ length: 50 }, (_, i) => ticket({ id: i + 1 })), total: 500 };
    const roster = Array.from({ length: 200 }, (_, i) => user(`U${i}`, `Tech ${i}`, { isTechnician: true }));
    const requestTypes: RequestTypeView[] = Array.from({ length: 30 }, (_, i) => ({
      id: i + 1,
      name: `Type ${i + 1}`,
      description: 'What it is for',
      defaultPriority: 'normal',
      technicianIds: [],
      channelId: null,
      isPrivate: false,
      isDefault: i === 0,
      assignment: 'none',
      fields: [],
      archived: false,
      version: 1,
      slaTargets: { urgent: '30m/2h' },
    }));
    const kinds = ['ticket_created', 'ticket_assigned', 'ticket_closed', 'digest'];
    const home = appHome(
      {
        viewer: user('U0ADMIN001', 'Ada', { isAdmin: true, isTechnician: true }),
        mine: many,
        assigned: many,
        roster,
        requestTypes,
        emails: { offered: kinds, on: new Set(['ticket_created', 'digest']) },
      },
      en,
    );
    expect(validateView(home)).toEqual([]);
    // As full as HOME_LIMITS let it be (95 blocks): the email choices fit whole, last.
    expect(home.blocks.length).toBeLessThanOrEqual(100);
    const last = home.blocks.at(-1) as { block_id?: string; accessory?: Record<string, unknown> };
    expect(last.block_id).toBe('email_preferences');
    expect(last.accessory).toMatchObject({
      type: 'checkboxes',
      options: kinds.map((value) => ({ value })),
      initial_options: [{ value: 'ticket_created' }, { value: 'digest' }],
    });
    expect(home.blocks.at(-2)?.type).toBe('divider');
  });

  it('block ids round-trip and reject anything else', () => {
    expect(parseTicketActionsBlockId(ticketActionsBlockId(7, 12))).toEqual({ ticketId: 7, version: 12 });
    expect(parseTicketActionsBlockId(ticketActionsBlockId(7, 12, 'mine'))).toEqual({
      ticketId: 7,
      version: 12,
    });
    expect(parseTicketActionsBlockId('ticket_actions:x:1')).toBeUndefined();
    expect(parseTicketActionsBlockId(undefined)).toBeUndefined();
  });

  it('German: the card, the modals and the App Home in German, every title whole within Slack limits', () => {
    const card = ticketCard(view({ technicianId: 'U0TECH0001', title: '<!channel> Drucker' }), de);
    expect(card.text).toBe('Ticket #42: &lt;!channel&gt; Drucker');
    expect(JSON.stringify(card.blocks[1])).toContain('*Priorität*\\n:large_orange_circle: Hoch');
    expect(JSON.stringify(card.blocks[3])).toContain('Tom hat es von Offen auf In Bearbeitung gesetzt');
    expect(validateBlocks(card.blocks, 'message')).toEqual([]);
    const roster = [{ id: 'U0TECH0001', name: 'Tom' }];
    const home = appHome(
      { viewer: user('U0ADMIN001', 'Ada', { isAdmin: true }), mine: { tickets: [], total: 0 }, roster: [] },
      de,
    );
    expect(JSON.stringify(home)).toContain('Meine offenen Tickets');
    expect(validateView(home)).toEqual([]);
    for (const t of texts.languages.map((language) => texts.slack(language))) {
      const modals = [
        newTicketModal({}, roster, {}, t),
        commentModal(42, t),
        noticeModal(t('needHelpdeskChannel'), t),
        ratingRemarkModal({ ticketId: 42, resolution: 2, score: 4, channel: 'D1', ts: '1.2' }, t),
      ];
      for (const modal of modals) {
        expect(validateView(modal, 'modal'), t.language).toEqual([]);
        // A title, Submit or Close longer than Slack's 24 characters would be cut short with "…".
        for (const part of [modal.title, modal.submit, modal.close])
          expect(part?.text ?? '', `${t.language} ${modal.callback_id}`).not.toMatch(/…$/);
      }
    }
    expect(newTicketModal({}, roster, {}, de)).toMatchObject({
      title: { text: 'Neues Ticket' },
      submit: { text: 'Erstellen' },
      close: { text: 'Abbrechen' },
    });
  });
});
