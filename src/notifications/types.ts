import type { AutoAssignRule } from '../db/models/ticketEvent.js';
import type { Language } from '../i18n/index.js';
import type { PeriodFigures } from '../reports/figures.js';

/** Every email ticketbot sends; each is a folder of templates under emails/. */
export const NOTIFICATIONS = [
  'ticket_created',
  'ticket_assigned',
  'ticket_status_changed',
  'ticket_closed',
  'ticket_commented',
  'ticket_sla_breached',
  'digest',
] as const;
export type Notification = (typeof NOTIFICATIONS)[number];

export const TEMPLATE_PARTS = ['subject', 'html', 'text'] as const;
export type TemplatePart = (typeof TEMPLATE_PARTS)[number];

/** The ticket as it was when the change happened (emails describe that moment, not today). */
export interface TicketSnapshot {
  id: number;
  title: string;
  description: string;
  priority: string;
  status: string;
  /** Display names. */
  requester: string;
  technician: string | null;
  createdAt: string;
  /**
   * Its request type and the answers to its fields, each under the label it was asked with;
   * absent for a ticket without a type (and in rows queued before types existed).
   */
  requestType?: { name: string; fields: Array<{ label: string; value: string }> };
  /**
   * A private request type's ticket in a manager's email: `title` and `description` are empty,
   * and the templates say "private request" instead.
   */
  private?: boolean;
}

export interface DigestTicket {
  id: number;
  /** Empty for a private request type's ticket (`private`): digests show no title for it. */
  title: string;
  private?: boolean;
  status: string;
  priority: string;
  technician: string | null;
  createdAt: string;
  url: string;
  /** Its request type's name (null: none); absent while no types are defined. */
  type?: string | null;
}

export interface DigestData {
  start: string;
  end: string;
  totals: { created: number; closed: number; reopened: number };
  activity: Array<{ key: 'created' | 'closed' | 'reopened'; current: number; previous: number }>;
  backlog: {
    total: number;
    byStatus: Array<{ status: string; count: number }>;
    byPriority: Array<{ priority: string; count: number }>;
    /** Open tickets per request type, by name (`name` null: without a type); absent while no types are defined. */
    byType?: Array<{ name: string | null; count: number }>;
  };
  unassigned: { count: number; tickets: DigestTicket[] };
  oldest: DigestTicket[];
  technicians: Array<{
    name: string;
    open: number;
    closed: number;
    averageRating: number | null;
    ratings: number;
  }>;
  /**
   * The period's headline figures, as the reports page counts them (src/reports/figures.ts):
   * first-response and resolution times (seconds, elapsed), the share of targets met, the
   * average rating. Absent in a digest queued before they existed.
   */
  service?: PeriodFigures;
}

/** What an outbox row's `data` column holds (JSON): the variables its templates read. */
export interface NotificationData {
  recipient: { name: string | null };
  /**
   * Who made the change. `rule`: ticketbot did, under a request type's assignment rule; `name`
   * is then rendered as "ticketbot (round-robin)" in the recipient's language (emails.json `actor.*`).
   */
  actor?: { name: string; rule?: AutoAssignRule };
  ticket?: TicketSnapshot;
  change?: { from: string; to: string; reopened: boolean };
  comment?: { author: string; body: string };
  /** A missed service-level target (ticket_sla_breached): which one, and when it was due (ISO 8601). */
  sla?: { target: 'response' | 'resolution'; due: string | null };
  digest?: DigestData;
  /** IANA zone dates are shown in (the recipient's Slack time zone, or DIGEST_TZ). */
  timeZone?: string | null;
}

/** Everything a template sees: the stored data plus helpers added at render time. */
export interface TemplateLocals extends NotificationData {
  /** The comment as the email shows it: `cut` when only its beginning fits (EMAIL_COMMENT_MAX). */
  comment?: { author: string; body: string; cut: boolean };
  lang: Language;
  t: (key: string, vars?: Record<string, unknown>) => string;
  formatDate: (iso: string | Date) => string;
  /** A number as the recipient's language writes it, with `fractionDigits` decimals (default 0). */
  formatNumber: (value: number, fractionDigits?: number) => string;
  /** "2 d 4 h", "3 h 20 min", "5 min" for a number of seconds; "–" for null. */
  formatSpan: (seconds: number | null) => string;
  links: { statusPage: string | null; slackThread: string | null };
  publicUrl: string;
  subject?: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}
