import type { QueryInterface } from 'sequelize';
import * as initialSchema from './20261126000000-initial-schema.js';
import * as statusPageIndexes from './20261126150000-status-page-indexes.js';
import * as statusPageSummaryIndex from './20261126160000-status-page-summary-index.js';
import * as cardDelivery from './20261126180000-card-delivery.js';
import * as ratingPromptLocation from './20261127000000-rating-prompt-location.js';
import * as ticketSubmission from './20261128000000-ticket-submission.js';
import * as outboxRecipientUser from './20261202010000-outbox-recipient-user.js';
import * as commentsInFull from './20261202020000-comments-in-full.js';
import * as cardAnnouncement from './20261202030000-card-announcement.js';
import * as webSessions from './20261202050000-web-sessions.js';
import * as slackBookkeeping from './20261203010000-slack-bookkeeping.js';
import * as slackDmChannels from './20261203020000-slack-dm-channels.js';
import * as slackInbox from './20261203050000-slack-inbox.js';
import * as cardVersionsAndHomes from './20261203060000-card-versions-and-homes.js';
import * as cardLeaseOwner from './20261204010000-card-lease-owner.js';
import * as slackOutbox from './20261204020000-slack-outbox.js';
import * as reactionIntake from './20261204050000-reaction-intake.js';
import * as requestTypes from './20261204060000-request-types.js';
import * as slaClocks from './20261206010000-sla-clocks.js';
import * as slaAlerts from './20261206020000-sla-alerts.js';
import * as reportIndexes from './20261208010000-report-indexes.js';
import * as emailPreferences from './20261209010000-email-preferences.js';
import * as requestTypeTargets from './20261210010000-request-type-targets.js';
import * as slaBackfillIndex from './20261210020000-sla-backfill-index.js';

export interface Migration {
  name: string;
  up(qi: QueryInterface): Promise<void>;
  down(qi: QueryInterface): Promise<void>;
}

// Every migration, oldest first. A new one is a new file here plus a line below; the
// list is explicit so the same code runs from TypeScript sources and the compiled build.
export const migrations: Migration[] = [
  { name: '20261126000000-initial-schema', ...initialSchema },
  { name: '20261126150000-status-page-indexes', ...statusPageIndexes },
  { name: '20261126160000-status-page-summary-index', ...statusPageSummaryIndex },
  { name: '20261126180000-card-delivery', ...cardDelivery },
  { name: '20261127000000-rating-prompt-location', ...ratingPromptLocation },
  { name: '20261128000000-ticket-submission', ...ticketSubmission },
  { name: '20261202010000-outbox-recipient-user', ...outboxRecipientUser },
  { name: '20261202020000-comments-in-full', ...commentsInFull },
  { name: '20261202030000-card-announcement', ...cardAnnouncement },
  { name: '20261202050000-web-sessions', ...webSessions },
  { name: '20261203010000-slack-bookkeeping', ...slackBookkeeping },
  { name: '20261203020000-slack-dm-channels', ...slackDmChannels },
  { name: '20261203050000-slack-inbox', ...slackInbox },
  { name: '20261203060000-card-versions-and-homes', ...cardVersionsAndHomes },
  { name: '20261204010000-card-lease-owner', ...cardLeaseOwner },
  { name: '20261204020000-slack-outbox', ...slackOutbox },
  { name: '20261204050000-reaction-intake', ...reactionIntake },
  { name: '20261204060000-request-types', ...requestTypes },
  { name: '20261206010000-sla-clocks', ...slaClocks },
  { name: '20261206020000-sla-alerts', ...slaAlerts },
  { name: '20261208010000-report-indexes', ...reportIndexes },
  { name: '20261209010000-email-preferences', ...emailPreferences },
  { name: '20261210010000-request-type-targets', ...requestTypeTargets },
  { name: '20261210020000-sla-backfill-index', ...slaBackfillIndex },
];
