import express, { type RequestHandler, Router } from 'express';
import type { Database } from '../../db/index.js';
import { OUTBOX_STATUSES } from '../../db/models/emailOutbox.js';
import { PRIORITIES, STATUSES } from '../../db/models/ticket.js';
import type { PageKey } from '../../i18n/index.js';
import { isTimeZone } from '../../i18n/intl.js';
import type { Logger } from '../../logger.js';
import { type Charts, drawCharts, RATING_LINES } from '../../reports/charts.js';
import { loadReport, REPORT_DAYS, type Report, type ReportDays, reuseFor } from '../../reports/figures.js';
import { durationParts } from '../../sla/standing.js';
import { type Access, accessOf, seesEveryTicket, seesPrivateTickets } from '../access.js';
import type { Csrf } from '../csrf.js';
import { localPath } from '../localPath.js';
import { TIME_ZONE_COOKIE, type Viewer } from '../viewer.js';
import { emailRecipient, loadEmailQueue, retryEmail } from './emailQueue.js';
import { CLOSED_WINDOW_DAYS, cachedSummary } from './summary.js';
import { CSV_COLUMNS, csvFileName, writeTicketsCsv } from './ticketCsv.js';
import { isPrivateTicket, loadTicketDetail } from './ticketDetail.js';
import { filtersQuery, parseTicketFilters, SORTS } from './ticketFilters.js';
import { listTypeNames, loadTicketPage } from './ticketList.js';
import {
  changePriorityAs,
  changesTickets,
  priorityFormSchema,
  refusalOf,
  refusalStatus,
  type TicketRules,
} from './ticketPriority.js';

/** Counts above the list are at most this old: a status page, not a ledger. */
export const SUMMARY_TTL_MS = 5_000;
/** The reports page's figures are at most this old (the page says so). */
export const REPORTS_TTL_MS = 60_000;
/** How long after its last view a report is kept worked out ahead of views (reuseFor). */
export const REPORTS_KEEP_WARM_MS = 8 * 60 * 60_000;
/** The refusals of a priority change the page explains in its own words (ticket.refused.*). */
const REFUSAL_TEXTS = new Set([
  'ticket_closed',
  'same_priority',
  'ticket_changed',
  'not_technician',
  'ticket_not_found',
]);

export interface StatusPageDeps {
  db: Database;
  logger: Logger;
  /** The access rule, applied route by route: Slack's endpoint on the same app must stay open. */
  guard: RequestHandler[];
  csrf: Csrf;
  secureCookies: boolean;
  /** The ticket rules' services, for the one change the page makes (the priority); none: no form. */
  tickets?: TicketRules;
  /** How long the counts above the list may be reused (0: counted on every view). */
  summaryTtlMs?: number;
  /** How long the reports page's figures may be reused (0: computed on every view). */
  reportsTtlMs?: number;
  /** How long a report viewed is kept worked out ahead of views (default 8 h; 0: not). */
  reportsKeepWarmMs?: number;
  /** Given what to stop when the app stops (the reports kept warm), resolved once stopped. */
  onStop?: (stop: () => Promise<void>) => void;
}

export function statusPageRoutes({
  db,
  logger,
  guard: access,
  csrf,
  secureCookies,
  tickets,
  summaryTtlMs = SUMMARY_TTL_MS,
  reportsTtlMs = REPORTS_TTL_MS,
  reportsKeepWarmMs = REPORTS_KEEP_WARM_MS,
  onStop,
}: StatusPageDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const summary = cachedSummary(db, summaryTtlMs);
  // Worked out ahead of views while people come back to them: no view waits after a quiet hour.
  const reports = reuseFor<{ report: Report; charts: Charts }>(reportsTtlMs, {
    keepWarmMs: reportsKeepWarmMs,
    onError: (key, err) => logger.warn({ err, report: key }, 'reports: could not work out the figures ahead'),
  });
  onStop?.(() => reports.stop());
  // Whoever got in gets a CSRF token for the page's forms (tied to who they are), made when a
  // page is rendered: a redirect sets no cookie.
  const guard: RequestHandler[] = [
    ...access,
    (req, res, next) => {
      let token: string | undefined;
      Object.defineProperty(res.locals, 'csrfToken', {
        enumerable: true,
        configurable: true,
        get: () => {
          token ??= csrf.token(req, res);
          return token;
        },
      });
      next();
    },
  ];
  const who = (res: Parameters<RequestHandler>[1]) => accessOf(res) as Access;
  const badToken: RequestHandler = (req, res, next) => {
    if (csrf.valid(req)) return next();
    res.status(403).render('error', {
      title: res.locals.t('error.forbidden'),
      message: res.locals.t('error.badRequest'),
    });
  };
  const adminsOnly: RequestHandler = (_req, res, next) => {
    if (who(res).role === 'admin') return next();
    res.status(403).render('error', {
      title: res.locals.t('error.forbidden'),
      message: res.locals.t('error.adminsOnly'),
    });
  };
  const notFound = (res: Parameters<RequestHandler>[1]) =>
    res.status(404).render('error', {
      title: res.locals.t('error.notFound'),
      message: res.locals.t('error.notFoundText'),
    });

  /** The list's filters and whose tickets it may show, for the page and its CSV alike. */
  const listScope = (req: Parameters<RequestHandler>[0], viewer: Access) => {
    const everything = seesEveryTicket(viewer);
    const filters = parseTicketFilters(req.query);
    // A requester's list is their own tickets, whatever the query says; the helpdesk's figures
    // (counts, technicians' load and ratings) are for the staff.
    if (!everything) filters.requester = undefined;
    // Private tickets: the staff's, signed in with Slack; a requester sees their own among theirs.
    const scope = everything
      ? { withoutPrivate: !seesPrivateTickets(viewer) }
      : { requesterId: viewer.person?.userId ?? '' };
    return { everything, filters, scope };
  };

  router.get('/', ...guard, async (req, res) => {
    const { everything, filters, scope } = listScope(req, who(res));
    const [figures, page, types] = await Promise.all([
      everything ? summary() : undefined,
      loadTicketPage(db, filters, scope),
      listTypeNames(db),
    ]);
    res.set('Cache-Control', 'no-store');
    res.render('tickets', {
      section: 'tickets',
      mine: !everything,
      filters,
      summary: figures,
      page,
      // The roster and anyone still holding tickets, by name, for the technician filter.
      technicians: (figures?.technicians ?? [])
        .map((load) => load.technician)
        .sort((a, b) => a.name.localeCompare(b.name)),
      statuses: STATUSES,
      priorities: PRIORITIES,
      // The type column and filter show once types exist (archived ones too: tickets keep them).
      requestTypes: types,
      sorts: SORTS,
      closedWindowDays: CLOSED_WINDOW_DAYS,
      link: (changes: Parameters<typeof filtersQuery>[1]) => filtersQuery(filters, changes),
    });
  });

  // Every ticket the list would show with these filters, as CSV (cursors ignored).
  router.get('/tickets.csv', ...guard, async (req, res) => {
    const viewer = who(res);
    const { filters, scope } = listScope(req, viewer);
    filters.after = undefined;
    filters.before = undefined;
    const withTypes = (await listTypeNames(db)).length > 0;
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${csvFileName(new Date())}"`,
      'Cache-Control': 'no-store',
    });
    logger.info({ ip: req.ip, slackUser: viewer.person?.userId }, 'status page: ticket CSV');
    try {
      await writeTicketsCsv(db, filters, scope, res, {
        header: CSV_COLUMNS.filter((column) => withTypes || column !== 'request_type'),
        withTypes,
      });
      res.end();
    } catch (error) {
      // The status line and part of the file are gone already: cut it short so it is not taken whole.
      logger.error({ err: error }, 'status page: ticket CSV failed');
      res.destroy();
    }
  });

  /** The ticket page for `viewer`, or "not found" (with `extra` for the priority form's outcome). */
  const showTicket = async (
    res: Parameters<RequestHandler>[1],
    id: number,
    extra: { status?: number; notice?: { kind: string; text: string }; priorityError?: string } = {},
  ) => {
    const viewer = who(res);
    const ticket = Number.isSafeInteger(id) ? await loadTicketDetail(db, id) : undefined;
    res.set('Cache-Control', 'no-store');
    // Someone else's ticket is "not found", like one that does not exist: a 403 would confirm it does.
    const own = ticket !== undefined && ticket.requester.id === viewer.person?.userId;
    if (
      !ticket ||
      (!seesEveryTicket(viewer) && !own) ||
      (!own && !seesPrivateTickets(viewer) && (await isPrivateTicket(db, ticket.id)))
    ) {
      notFound(res);
      return;
    }
    res.status(extra.status ?? 200).render('ticket', {
      section: 'tickets',
      ticket,
      title: `#${ticket.id}`,
      // Who else was emailed and what their mail server said is the staff's business.
      showEmails: seesEveryTicket(viewer),
      // Technicians and admins signed in with Slack change an open ticket's priority here.
      priorityForm: tickets && changesTickets(viewer) && ticket.status !== 'closed',
      // Most urgent first, as on the card.
      priorities: [...PRIORITIES].reverse(),
      notice: extra.notice,
      priorityError: extra.priorityError,
    });
  };
  const ticketIdOf = (req: Parameters<RequestHandler>[0]) =>
    /^\d{1,10}$/.test(String(req.params.id)) ? Number(req.params.id) : Number.NaN;

  router.get('/tickets/:id', ...guard, async (req, res) => {
    const t = res.locals.t as Viewer['t'];
    const notice =
      req.query.notice === 'priority' ? { kind: 'success', text: t('ticket.priorityChanged') } : undefined;
    await showTicket(res, ticketIdOf(req), { notice });
  });

  // The ticket page's priority form (issue 15): the rules' changePriority as the signed-in
  // technician or admin; the card follows (the after-commit hook in this process, or the card
  // catch-up of any replica: the version went up).
  router.post('/tickets/:id/priority', ...guard, form, badToken, async (req, res) => {
    const viewer = who(res);
    const t = res.locals.t as Viewer['t'];
    if (!tickets || !changesTickets(viewer)) {
      res.status(403).render('error', {
        title: res.locals.t('error.forbidden'),
        message: t(viewer.via === 'slack' ? 'error.staffChangesOnly' : 'error.signInToChange'),
      });
      return;
    }
    const ticketId = ticketIdOf(req);
    const parsed = priorityFormSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      await showTicket(res, ticketId, { status: 400, priorityError: t('ticket.priorityInvalid') });
      return;
    }
    // A ticket that does not exist is the rules' refusal (not_found), answered with the 404 page.
    if (!Number.isSafeInteger(ticketId)) {
      notFound(res);
      return;
    }
    const { priority, version } = parsed.data;
    try {
      await changePriorityAs(tickets, viewer.person.userId, {
        ticketId,
        priority,
        expectedVersion: version,
      });
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      logger.info(
        { ticketId, priority, reason: refusal.reason, slackUser: viewer.person.userId },
        'status page: priority change refused',
      );
      const key = REFUSAL_TEXTS.has(refusal.reason) ? refusal.reason : 'other';
      await showTicket(res, ticketId, {
        status: refusalStatus(refusal),
        priorityError: t(`ticket.refused.${key}` as PageKey),
      });
      return;
    }
    logger.info(
      { ticketId, priority, ip: req.ip, slackUser: viewer.person.userId },
      'status page: priority changed',
    );
    res.redirect(303, `/tickets/${ticketId}?notice=priority`);
  });

  // The helpdesk over time, for technicians and admins (a requester's figures would be everyone's).
  router.get('/reports', ...guard, async (req, res) => {
    if (!seesEveryTicket(who(res))) {
      res.status(403).render('error', {
        title: res.locals.t('error.forbidden'),
        message: res.locals.t('error.staffOnly'),
      });
      return;
    }
    const days: ReportDays = REPORT_DAYS.find((n) => String(n) === req.query.days) ?? REPORT_DAYS[0];
    const viewer = res.locals.viewer as Viewer;
    const t = res.locals.t as Viewer['t'];
    const titles = {
      daily: t('reports.daily', { days }),
      firstResponse: t('reports.firstResponse'),
      resolution: t('reports.resolution'),
      targets: t('reports.targets'),
      ratings: t('reports.ratings'),
    };
    // The figures and their charts (the most work: drawing five SVGs), per period, zone and language.
    const { report, charts } = await reports(`${days} ${viewer.timeZone} ${viewer.language}`, async () => {
      const report = await loadReport(db, { days, timeZone: viewer.timeZone });
      const charts = drawCharts(
        report,
        {
          opened: t('reports.opened'),
          closed: t('reports.closed'),
          backlog: t('reports.backlog'),
          median: t('reports.median'),
          p90: t('reports.p90'),
          hours: t('reports.hours'),
          response: t('reports.response'),
          resolution: t('reports.resolutionShort'),
          percent: t('reports.percent'),
          rating: t('reports.rating'),
        },
        titles,
        viewer.dateLocale,
      );
      return { report, charts };
    });
    // "2 d 4 h", "3 h 20 min": how the cards and the App Home write spans.
    const span = (seconds: number | null) => {
      if (seconds === null) return '—';
      const parts = durationParts(seconds / 60);
      return t(parts.days > 0 ? 'sla.days' : parts.hours > 0 ? 'sla.hours' : 'sla.minutes', parts);
    };
    const dayName = (isoDate: string) =>
      new Intl.DateTimeFormat(viewer.dateLocale, { dateStyle: 'medium', timeZone: 'UTC' }).format(
        new Date(`${isoDate}T00:00:00Z`),
      );
    res.set('Cache-Control', 'no-store');
    res.render('reports', {
      section: 'reports',
      title: t('reports.heading'),
      report,
      charts,
      titles,
      periods: REPORT_DAYS,
      ratingLines: RATING_LINES,
      span,
      dayName,
      percent: (share: number | null) =>
        share === null ? '—' : t('reports.percentValue', { value: viewer.formatNumber(share * 100, 1) }),
      rating: (average: number | null) => (average === null ? '—' : viewer.formatNumber(average, 1)),
      // Reused for a minute, and at most twice that old when handed out (reuseFor).
      ttlSeconds: Math.round((2 * reportsTtlMs) / 1000),
    });
  });

  router.get('/emails', ...guard, adminsOnly, async (req, res) => {
    const queue = await loadEmailQueue(db);
    const noticeId = /^\d{1,10}$/.test(String(req.query.email ?? '')) ? Number(req.query.email) : undefined;
    const noticeRecipient = noticeId ? await emailRecipient(db, noticeId) : undefined;
    const notice =
      req.query.notice === 'retried' && noticeRecipient !== undefined
        ? { kind: 'success', text: res.locals.t('emails.retried', { recipient: noticeRecipient }) }
        : req.query.notice === 'not_dead'
          ? { kind: 'warning', text: res.locals.t('emails.notDead') }
          : undefined;
    res.set('Cache-Control', 'no-store');
    res.render('emails', { section: 'emails', queue, statuses: OUTBOX_STATUSES, notice });
  });

  router.post('/emails/:id/retry', ...guard, form, badToken, adminsOnly, async (req, res) => {
    const id = /^\d{1,10}$/.test(String(req.params.id)) ? Number(req.params.id) : 0;
    const retried = id ? await retryEmail(db, id) : undefined;
    logger.info(
      { emailId: id, retried: Boolean(retried), ip: req.ip, slackUser: who(res).person?.userId },
      'status page: retry email',
    );
    res.redirect(303, `/emails?notice=${retried ? 'retried' : 'not_dead'}&email=${id}`);
  });

  router.get('/timezone', ...guard, (req, res) => {
    res.render('timezone', { zones: Intl.supportedValuesOf('timeZone'), back: localPath(req.query.back) });
  });

  router.post('/timezone', ...guard, form, badToken, (req, res) => {
    const zone = String(req.body?.tz ?? '');
    if (isTimeZone(zone)) {
      res.cookie(TIME_ZONE_COOKIE, zone, {
        sameSite: 'lax',
        secure: secureCookies,
        path: '/',
        maxAge: 365 * 86_400_000,
      });
    }
    res.redirect(303, localPath(req.body?.back));
  });

  return router;
}
