import type { Ticket } from '../../db/models/ticket.js';
import type { SlackTranslate } from '../../i18n/index.js';
import { durationParts, type SlaStanding, slaStanding } from '../../sla/standing.js';
import { slackDate } from '../text.js';

// A ticket's service-level line. Due times are Slack date tokens, which every reader sees in
// their own time zone (`<!date^…>`, https://docs.slack.dev/messaging/formatting-message-text/).

/** "1 h 10 min", "2 d 3 h", "25 min". */
export function durationText(minutes: number, t: SlackTranslate): string {
  const parts = durationParts(minutes);
  if (parts.days > 0) return t('sla.days', parts);
  if (parts.hours > 0) return t('sla.hours', parts);
  return t('sla.minutes', parts);
}

function standingOf(ticket: Ticket, now: Date): SlaStanding | undefined {
  return slaStanding(ticket, now);
}

/**
 * For the card, which stays in the channel between changes: when it is due, or since when it is
 * late, and no countdown that would be stale a minute later. (The SLA job redraws the card at a
 * breach, so "overdue" appears without a change.)
 */
export function serviceLevelCardLine(
  ticket: Ticket,
  t: SlackTranslate,
  now = new Date(),
): string | undefined {
  const standing = standingOf(ticket, now);
  if (!standing) return undefined;
  const due = slackDate(standing.due);
  switch (standing.kind) {
    case 'respondBy':
      return `:stopwatch: ${t('sla.cardRespondBy', { due })}`;
    case 'responseOverdue':
      return `:rotating_light: ${t('sla.cardResponseOverdue', { due })}`;
    case 'resolveBy':
      return `:stopwatch: ${t('sla.cardResolveBy', { due })}`;
    case 'resolutionOverdue':
      return `:rotating_light: ${t('sla.cardResolutionOverdue', { due })}`;
    case 'resolvedInTime':
      return `:white_check_mark: ${t('sla.resolvedInTime')}`;
    case 'resolutionMissed':
      return `:warning: ${t('sla.resolutionMissed')}`;
  }
}

/** For the App Home, drawn when its owner opens it: the due time and how long is left, or how late. */
export function serviceLevelLine(ticket: Ticket, t: SlackTranslate, now = new Date()): string | undefined {
  const standing = standingOf(ticket, now);
  if (!standing) return undefined;
  const due = slackDate(standing.due);
  const span = durationText(standing.minutes, t);
  switch (standing.kind) {
    case 'respondBy':
      return t('sla.respondBy', { due, left: span });
    case 'responseOverdue':
      return t('sla.responseOverdue', { late: span });
    case 'resolveBy':
      return t('sla.resolveBy', { due, left: span });
    case 'resolutionOverdue':
      return t('sla.resolutionOverdue', { late: span });
    case 'resolvedInTime':
      return t('sla.resolvedInTime');
    case 'resolutionMissed':
      return t('sla.resolutionMissed');
  }
}
