import type { App } from '@slack/bolt';
import type { SlackContext } from '../context.js';
import * as availability from './actions/availability.js';
import * as emailPreferences from './actions/emailPreferences.js';
import * as homeNewTicket from './actions/homeNewTicket.js';
import * as requestTypeEdit from './actions/requestTypeEdit.js';
import * as requestTypeSwitch from './actions/requestTypeSwitch.js';
import * as rosterAdd from './actions/rosterAdd.js';
import * as rosterRemove from './actions/rosterRemove.js';
import * as ticketAssign from './actions/ticketAssign.js';
import * as ticketClose from './actions/ticketClose.js';
import * as ticketComment from './actions/ticketComment.js';
import * as ticketPriority from './actions/ticketPriority.js';
import * as ticketRate from './actions/ticketRate.js';
import * as ticketRateRemark from './actions/ticketRateRemark.js';
import * as ticketReopen from './actions/ticketReopen.js';
import * as ticketStart from './actions/ticketStart.js';
import * as ticketType from './actions/ticketType.js';
import * as ticketUnassign from './actions/ticketUnassign.js';
import * as ticketCommand from './commands/ticket.js';
import * as appHomeOpened from './events/appHomeOpened.js';
import * as message from './events/message.js';
import * as reaction from './events/reaction.js';
import * as createTicketFromMessage from './shortcuts/createTicketFromMessage.js';
import * as addComment from './views/addComment.js';
import * as newTicket from './views/newTicket.js';
import * as ratingRemark from './views/ratingRemark.js';
import * as requestTypeSave from './views/requestTypeSave.js';

/** Every listener, grouped by Slack surface; each file registers one callback or action id. */
export function registerListeners(app: App, ctx: SlackContext): void {
  for (const listener of [
    ticketCommand,
    newTicket,
    addComment,
    ratingRemark,
    ticketAssign,
    ticketUnassign,
    ticketStart,
    ticketType,
    ticketPriority,
    ticketClose,
    ticketReopen,
    ticketComment,
    ticketRate,
    ticketRateRemark,
    homeNewTicket,
    requestTypeSwitch,
    requestTypeEdit,
    requestTypeSave,
    availability,
    emailPreferences,
    rosterAdd,
    rosterRemove,
    message,
    reaction,
    appHomeOpened,
    createTicketFromMessage,
  ]) {
    listener.register(app, ctx);
  }
}
