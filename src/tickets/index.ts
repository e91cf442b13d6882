export { assignTicket } from './assignTicket.js';
export { changePriority } from './changePriority.js';
export { canTransition, changeStatus, reopenTicket } from './changeStatus.js';
export { addComment, deleteComment, editComment } from './comments.js';
export type {
  InTransactionHook,
  TicketChange,
  TicketContext,
  TicketHooks,
  TicketServices,
} from './context.js';
export { asActor, createTicketHooks } from './context.js';
export { AlreadySubmitted, createTicket } from './createTicket.js';
export * from './errors.js';
export { addRatingRemark, rateTicket } from './rateTicket.js';
export {
  archiveRequestType,
  changeRequestType,
  defaultRequestType,
  fieldKey,
  listRequestTypes,
  type RequestTypeInput,
  type RequestTypeView,
  requestTypeById,
  type StoredField,
  saveRequestType,
  storedFieldsOf,
} from './requestTypes.js';
export { addTechnician, listTechnicians, removeTechnician, seedRoster, setAvailability } from './roster.js';
export { runSlaAlerts, SLA_ACTOR, slaAlertsOf } from './slaAlerts.js';
export { backfillSlaClocks } from './slaBackfill.js';
export { ensureUsers } from './users.js';
export {
  COMMENT_MAX,
  characterCount,
  DESCRIPTION_MAX,
  TITLE_MAX,
  ticketInputSchema,
} from './validation.js';
