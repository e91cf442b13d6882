import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Ticket } from '../../src/db/models/ticket.js';
import { slaStanding } from '../../src/sla/standing.js';
import { appHome } from '../../src/slack/blocks/appHome.js';
import { serviceLevelCardLine, serviceLevelLine } from '../../src/slack/blocks/serviceLevel.js';
import { ticketCard } from '../../src/slack/blocks/ticketCard.js';
import { createTicket } from '../../src/tickets/index.js';
import { describeEachDatabase } from '../support/db.js';
import { ROUND_THE_CLOCK } from '../support/sla.js';
import { validateBlocks, validateView } from '../support/slackBlockKit.js';
import { texts } from '../support/texts.js';
import { PEOPLE, type RunningPage, seedPeople, startStatusPage, visibleText } from '../web/support.js';

// What the card, the App Home and the status page say about a ticket's service levels.

const en = texts.slack('en');
const fr = texts.slack('fr');
const de = texts.slack('de');

function ticket(overrides: Partial<Ticket> = {}): Ticket {
  return {
    id: 7,
    title: 'VPN down',
    description: '',
    priority: 'urgent',
    status: 'open',
    requesterId: 'U0REQUEST1',
    technicianId: null,
    sourceChannelId: null,
    sourceMessageTs: null,
    sourcePermalink: null,
    requestTypeId: null,
    requestFields: null,
    version: 1,
    resolution: 0,
    lastActivityAt: new Date('2026-12-03T12:00:00Z'),
    closedAt: null,
    firstResponseAt: null,
    slaResponseDueAt: new Date('2026-12-03T14:30:00Z'),
    slaResponseWarnAt: new Date('2026-12-03T14:15:00Z'),
    slaResponseMetAt: null,
    slaResponseMissedAt: null,
    slaResolutionDueAt: new Date('2026-12-03T17:00:00Z'),
    slaResolutionWarnAt: new Date('2026-12-03T16:00:00Z'),
    slaResolutionMetAt: null,
    slaResolutionMissedAt: null,
    slaResolutionStartedAt: new Date('2026-12-03T13:30:00Z'),
    slaResolutionUsedSeconds: 0,
    createdAt: new Date('2026-12-03T13:30:00Z'),
    updatedAt: new Date('2026-12-03T13:30:00Z'),
    ...overrides,
  } as Ticket;
}

const NOW = new Date('2026-12-03T13:20:00Z');

describe('a ticket’s standing', () => {
  it('is the first response until it is given, then the resolution, then how it ended', () => {
    expect(slaStanding(ticket(), NOW)).toEqual({
      kind: 'respondBy',
      due: new Date('2026-12-03T14:30:00Z'),
      minutes: 70,
    });
    expect(slaStanding(ticket(), new Date('2026-12-03T15:00:00Z'))).toMatchObject({
      kind: 'responseOverdue',
      minutes: 30,
    });
    const answered = ticket({ firstResponseAt: new Date('2026-12-03T13:40:00Z') });
    expect(slaStanding(answered, new Date('2026-12-03T19:00:00Z'))).toMatchObject({
      kind: 'resolutionOverdue',
      minutes: 120,
    });
    // Unanswered and past the resolution time too: the resolution, the worse of the two.
    expect(slaStanding(ticket(), new Date('2026-12-03T18:00:00Z'))).toMatchObject({
      kind: 'resolutionOverdue',
    });
    const closed = { status: 'closed' as const, firstResponseAt: new Date('2026-12-03T13:40:00Z') };
    expect(slaStanding(ticket({ ...closed, slaResolutionMetAt: NOW }), NOW)?.kind).toBe('resolvedInTime');
    expect(slaStanding(ticket({ ...closed, slaResolutionMissedAt: NOW }), NOW)?.kind).toBe(
      'resolutionMissed',
    );
    expect(slaStanding(ticket({ slaResolutionDueAt: null, slaResponseDueAt: null }), NOW)).toBeUndefined();
  });
});

describe('the Slack texts', () => {
  it('give the due time as a Slack date, which each reader sees in their own time zone', () => {
    const due = Math.floor(new Date('2026-12-03T14:30:00Z').getTime() / 1000);
    expect(serviceLevelLine(ticket(), en, NOW)).toBe(
      `Respond by <!date^${due}^{date_short_pretty} {time}|2026-12-03T14:30:00.000Z> · 1 h 10 min left`,
    );
    expect(serviceLevelLine(ticket(), fr, NOW)).toContain('reste 1 h 10 min');
    expect(serviceLevelLine(ticket(), de, NOW)).toContain('noch 1 Std. 10 Min.');
    const answered = ticket({ firstResponseAt: NOW });
    expect(serviceLevelLine(answered, en, new Date('2026-12-03T19:00:00Z'))).toBe(
      'Resolution overdue by 2 h 0 min',
    );
    expect(serviceLevelLine(answered, en, new Date('2026-12-05T19:00:00Z'))).toBe(
      'Resolution overdue by 2 d 2 h',
    );
    expect(serviceLevelCardLine(ticket(), en, new Date('2026-12-03T15:00:00Z'))).toContain(
      'First response overdue since <!date^',
    );
  });

  it('put the line in the card’s context, within Block Kit’s limits', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    try {
      for (const t of [en, fr, de]) {
        const { blocks } = ticketCard(
          { ticket: ticket(), requester: null, technician: null, latest: null },
          t,
        );
        expect(validateBlocks(blocks, 'message')).toEqual([]);
        const context = blocks.find((block) => block.type === 'context') as {
          elements: Array<{ text: string }>;
        };
        expect(context.elements[0]?.text).toContain(':stopwatch:');
      }
      const { blocks } = ticketCard(
        { ticket: ticket(), requester: null, technician: null, latest: null },
        en,
      );
      expect(JSON.stringify(blocks)).toContain('Respond by <!date^');
      // No countdown on the card: it stays in the channel between redraws.
      expect(JSON.stringify(blocks)).not.toContain('left');
    } finally {
      vi.useRealTimers();
    }
  });

  it('add the line to each ticket of the App Home without adding blocks', () => {
    const list = { tickets: [ticket(), ticket({ id: 8, slaResolutionDueAt: null })], total: 2 };
    const viewer = { id: 'U0REQUEST1', name: 'Rita', isTechnician: false, isAdmin: false } as never;
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    const home = appHome({ viewer, mine: list }, en);
    vi.useRealTimers();
    expect(validateView(home, 'home')).toEqual([]);
    const texts = JSON.stringify(home.blocks);
    expect(texts).toContain('#7');
    expect(texts.match(/Respond by/g)?.length).toBe(1);
  });
});

describeEachDatabase('the status page', (suite) => {
  let page: RunningPage;
  let ticketId = 0;
  beforeAll(async () => {
    const people = await seedPeople(suite.db);
    const services = {
      ...people,
      sla: ROUND_THE_CLOCK,
    };
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(Date.now() - 30 * 60_000)); // opened half an hour ago
    const change = await createTicket(
      { ...services, actorId: PEOPLE.requester.id },
      { title: 'Laptop will not boot', description: '', priority: 'urgent' },
    );
    vi.useRealTimers();
    ticketId = change.ticket.id;
    page = await startStatusPage(suite.db, suite.url);
  });
  afterAll(async () => {
    await page?.close();
  });
  afterEach(() => vi.useRealTimers());

  it('shows when the first response is due, in the viewer’s time zone, and how long is left', async () => {
    const ticket = await suite.db.models.Ticket.findByPk(ticketId, { rejectOnEmpty: true });
    const due = ticket.slaResponseDueAt!;
    const inTokyo = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Tokyo',
      hour: '2-digit',
      minute: '2-digit',
    }).format(due);
    const response = await fetch(`${page.url}/tickets/${ticketId}`, {
      headers: { cookie: 'tz=Asia%2FTokyo', 'accept-language': 'en' },
    });
    const text = visibleText(await response.text());
    expect(text).toMatch(/Respond by [^·]*·\s*(29|30) min left/);
    expect(text).toContain(inTokyo);
    const list = visibleText(
      await (
        await fetch(`${page.url}/`, { headers: { cookie: 'tz=Asia%2FTokyo', 'accept-language': 'fr' } })
      ).text(),
    );
    expect(list).toMatch(/Répondre avant [^·]*·\s*reste (29|30) min/);
  });
});
