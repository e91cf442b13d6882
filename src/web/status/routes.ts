import express, { type RequestHandler, Router } from 'express';
import type { Database } from '../../db/index.js';
import { OUTBOX_STATUSES } from '../../db/models/emailOutbox.js';
import { PRIORITIES, STATUSES } from '../../db/models/ticket.js';
import type { Logger } from '../../logger.js';
import { CSRF_FIELD, isValidCsrf } from '../csrf.js';
import { isTimeZone, TIME_ZONE_COOKIE } from '../viewer.js';
import { emailRecipient, loadEmailQueue, retryEmail } from './emailQueue.js';
import { CLOSED_WINDOW_DAYS, cachedSummary } from './summary.js';
import { loadTicketDetail } from './ticketDetail.js';
import { filtersQuery, parseTicketFilters, SORTS } from './ticketFilters.js';
import { loadTicketPage } from './ticketList.js';

/** Counts above the list are at most this old: a status page, not a ledger. */
export const SUMMARY_TTL_MS = 5_000;

export interface StatusPageDeps {
  db: Database;
  logger: Logger;
  /** The access rule, applied route by route: Slack's endpoint on the same app must stay open. */
  guard: RequestHandler;
  secureCookies: boolean;
  /** How long the counts above the list may be reused (0: counted on every view). */
  summaryTtlMs?: number;
}

/** Only a path on this site: `//evil.example` or a full URL would make an open redirect. */
function localPath(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) ? value : '/';
}

export function statusPageRoutes({
  db,
  logger,
  guard,
  secureCookies,
  summaryTtlMs = SUMMARY_TTL_MS,
}: StatusPageDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const summary = cachedSummary(db, summaryTtlMs);

  router.get('/', guard, async (req, res) => {
    const filters = parseTicketFilters(req.query);
    const [figures, page] = await Promise.all([summary(), loadTicketPage(db, filters)]);
    res.set('Cache-Control', 'no-store');
    res.render('tickets', {
      section: 'tickets',
      filters,
      summary: figures,
      page,
      // The roster and anyone still holding tickets, by name, for the technician filter.
      technicians: figures.technicians
        .map((load) => load.technician)
        .sort((a, b) => a.name.localeCompare(b.name)),
      statuses: STATUSES,
      priorities: PRIORITIES,
      sorts: SORTS,
      closedWindowDays: CLOSED_WINDOW_DAYS,
      link: (changes: Parameters<typeof filtersQuery>[1]) => filtersQuery(filters, changes),
    });
  });

  router.get('/tickets/:id', guard, async (req, res) => {
    const id = /^\d{1,10}$/.test(String(req.params.id)) ? Number(req.params.id) : Number.NaN;
    const ticket = Number.isSafeInteger(id) ? await loadTicketDetail(db, id) : undefined;
    res.set('Cache-Control', 'no-store');
    if (!ticket) {
      res.status(404).render('error', {
        title: res.locals.t('error.notFound'),
        message: res.locals.t('error.notFoundText'),
      });
      return;
    }
    res.render('ticket', { section: 'tickets', ticket, title: `#${ticket.id}` });
  });

  router.get('/emails', guard, async (req, res) => {
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

  router.post('/emails/:id/retry', guard, form, async (req, res) => {
    if (!isValidCsrf(req.headers.cookie, req.body?.[CSRF_FIELD])) {
      res.status(403).render('error', {
        title: res.locals.t('error.forbidden'),
        message: res.locals.t('error.badRequest'),
      });
      return;
    }
    const id = /^\d{1,10}$/.test(String(req.params.id)) ? Number(req.params.id) : 0;
    const retried = id ? await retryEmail(db, id) : undefined;
    logger.info({ emailId: id, retried: Boolean(retried), ip: req.ip }, 'status page: retry email');
    res.redirect(303, `/emails?notice=${retried ? 'retried' : 'not_dead'}&email=${id}`);
  });

  router.get('/timezone', guard, (req, res) => {
    res.render('timezone', { zones: Intl.supportedValuesOf('timeZone'), back: localPath(req.query.back) });
  });

  router.post('/timezone', guard, form, (req, res) => {
    if (!isValidCsrf(req.headers.cookie, req.body?.[CSRF_FIELD])) {
      res.status(403).render('error', {
        title: res.locals.t('error.forbidden'),
        message: res.locals.t('error.badRequest'),
      });
      return;
    }
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
