import type { Priority, Status } from '../db/models/ticket.js';
import type { Language } from '../i18n.js';

// Every string ticketbot shows in Slack, in English and French. Functions take values that are
// already escaped for mrkdwn (names, titles): the catalog never sees raw user text.

const en = {
  appName: 'ticketbot',
  newTicketTitle: 'New ticket',
  submit: 'Create',
  cancel: 'Cancel',
  close: 'Close',
  fieldTitle: 'Title',
  fieldTitlePlaceholder: 'What is wrong, in a few words',
  fieldDescription: 'Description',
  fieldDescriptionPlaceholder: 'What happened, what you expected, what you tried',
  fieldTechnician: 'Technician',
  fieldTechnicianPlaceholder: 'Leave empty to let the team pick',
  fieldTechnicianHint: 'Only technicians on the roster can be picked.',
  noTechnicians: 'No technicians yet: an admin adds them from the App Home.',
  fieldPriority: 'Priority',
  priority: { low: 'Low', normal: 'Normal', high: 'High', urgent: 'Urgent' } satisfies Record<
    Priority,
    string
  >,
  status: { open: 'Open', in_progress: 'In progress', closed: 'Closed' } satisfies Record<Status, string>,
  errorTitleRequired: 'Give the ticket a title.',
  errorTitleTooLong: (max: number) => `Keep the title to ${max} characters.`,
  errorDescriptionTooLong: (max: number) => `Keep the description to ${max} characters.`,
  errorPriority: 'Pick a priority.',
  errorTechnician: 'Pick someone from the technician roster.',
  errorCommentRequired: 'Write something.',
  errorCommentTooLong: (max: number) => `Keep comments to ${max} characters.`,

  cardFallback: (id: number, title: string) => `Ticket #${id}: ${title}`,
  cardPriority: 'Priority',
  cardStatus: 'Status',
  cardRequester: 'Requester',
  cardTechnician: 'Technician',
  cardUnassigned: '_Unassigned_',
  cardFromMessage: (link: string) => `Created from <${link}|this message>`,
  cardFromMessageNoLink: 'Created from a Slack message',
  cardLatest: 'Latest:',
  assignPlaceholder: 'Assign',
  buttonUnassign: 'Unassign',
  buttonStart: 'Start',
  buttonClose: 'Close',
  buttonReopen: 'Reopen',
  buttonComment: 'Add comment',

  activity: {
    created: (who: string) => `${who} opened the ticket`,
    assigned: (who: string, to: string) => `${who} assigned it to ${to}`,
    unassigned: (who: string) => `${who} unassigned it`,
    status_changed: (who: string, from: string, to: string) => `${who} moved it from ${from} to ${to}`,
    reopened: (who: string) => `${who} reopened it`,
    commented: (who: string) => `${who} commented`,
    comment_edited: (who: string) => `${who} edited a comment`,
    comment_deleted: (who: string) => `${who} deleted a comment`,
    rated: (who: string, score: string) => `${who} rated it ${score}/5`,
    rating_remarked: (who: string) => `${who} added a remark to the rating`,
  },

  commentTitle: 'Add a comment',
  commentSubmit: 'Post',
  commentLabel: (id: number) => `Comment on ticket #${id}`,
  commentInThread: (who: string, body: string) => `${who}: ${body}`,
  commentCut: (link: string) =>
    `\n_Slack shows messages up to 40,000 characters, so this one stops here. <${link}|The whole comment> is on the status page._`,

  replyEmpty: (id: number) =>
    `Only text becomes a comment, and this reply has none: ticket #${id} did not record it. Files and images stay in the thread.`,
  replyTooLong: (id: number, max: number) =>
    `This reply is longer than a comment can be (${max.toLocaleString('en')} characters): ticket #${id} did not record it. Split it into shorter replies.`,
  replyFailed: (id: number) =>
    `Something went wrong on our side and ticket #${id} did not record this reply. Post it again in a moment.`,
  editEmpty: (id: number) =>
    `Your edit leaves no text, so ticket #${id} keeps the reply as it was. To take the comment back, delete the reply.`,
  editTooLong: (id: number, max: number) =>
    `Your edit makes the reply longer than a comment can be (${max.toLocaleString('en')} characters): ticket #${id} keeps it as it was.`,
  editFailed: (id: number) =>
    `Something went wrong on our side and ticket #${id} did not record your edit. Edit the reply again in a moment.`,
  deleteFailed: (id: number) =>
    `Something went wrong on our side: ticket #${id} still holds the reply you deleted. Tell an admin so it can be removed.`,

  dmCreated: (id: number, title: string, link: string) =>
    `Your ticket <${link}|#${id} ${title}> is open. Follow it in its thread.`,
  dmCreatedNoLink: (id: number, title: string) => `Your ticket #${id} ${title} is open.`,
  dmAssigned: (id: number, title: string, link: string) =>
    `You were assigned ticket <${link}|#${id} ${title}>.`,
  dmAssignedNoLink: (id: number, title: string) => `You were assigned ticket #${id} ${title}.`,
  cannotPost: (channel: string, id: number, title: string) =>
    `Your ticket #${id} ${title} is saved, but I could not post it in <#${channel}>, so technicians have not seen it there. Invite me (\`/invite @ticketbot\`) or ask an admin to check HELPDESK_CHANNEL_ID.`,
  cardNeedsHelpdesk: (id: number, title: string) =>
    `Your ticket #${id} ${title} is saved, but it has no card: no helpdesk channel is set. Ask an admin to set HELPDESK_CHANNEL_ID.`,
  needHelpdeskChannel:
    'Tickets opened here need a helpdesk channel, where technicians see them, and none is set. Use `/ticket` in a channel I am in, or ask an admin to set HELPDESK_CHANNEL_ID.',

  ratingPrompt: (id: number, title: string, technician: string) =>
    `Ticket #${id} ${title} was closed. How did ${technician} do?`,
  ratingPromptHint: 'One click rates; you can add a remark afterwards.',
  ratingThanks: (score: number) => `Thank you! You rated this ticket ${score}/5.`,
  ratingAddRemark: 'Add a remark',
  ratingYourRemark: (remark: string) => `Your remark: ${remark}`,
  ratingRemarkTitle: 'Your remark',
  ratingRemarkSubmit: 'Save',
  ratingRemarkLabel: (id: number, score: number) => `Anything to add to your ${score}/5 for ticket #${id}?`,
  ratingRemarkRequired: 'Write a remark, or close this window.',
  ratingRemarkTooLong: (max: number) => `Keep the remark to ${max} characters.`,
  ratingRemarkTooSlow: 'Slack gave me too little time to open the remark window. Click *Add a remark* again.',
  ratingExpired: 'This rating request no longer applies: the ticket was reopened or already rated.',
  ratingReopened: (id: number, title: string) =>
    `Ticket #${id} ${title} was reopened, so there is nothing to rate for now. You will be asked again when it is closed.`,

  helpText:
    "*/ticket* [title] opens a new ticket.\n*/ticket mine* lists your open tickets.\n*/ticket help* shows this.\nReply in a ticket card's thread to comment; technicians work tickets from the card's buttons or the App Home.",
  mineNone: 'You have no open tickets.',
  mineHeader: 'Your open tickets:',

  homeTitle: 'ticketbot',
  homeNewTicket: 'New ticket',
  homeMine: 'My open tickets',
  homeAssigned: 'Assigned to me',
  homeRoster: 'Technicians',
  homeNone: '_Nothing here._',
  homeRosterEmpty: '_No technicians yet._',
  homeRosterAdd: 'Add a technician',
  homeRosterRemovePick: 'Remove a technician',
  homeRosterRemove: 'Remove',
  homeMore: (count: number) => `…and ${count} more`,

  noticeTitle: 'ticketbot',
  refused: {
    not_technician: 'Only technicians and admins can do that.',
    requester_can_only_close: 'As the requester you can close your ticket, not change its status otherwise.',
    use_reopen: 'This ticket is closed: use Reopen.',
    already_open: 'This ticket is already open.',
    already_in_progress: 'This ticket is already in progress.',
    already_closed: 'This ticket is already closed.',
    invalid_status: 'The ticket cannot move to that status from where it is.',
    not_allowed_reopen: 'Only technicians, admins and the requester can reopen a ticket.',
    not_closed: 'This ticket is not closed.',
    not_allowed_comment: 'Only the requester and technicians can comment on this ticket.',
    comment_not_found: 'That comment is not on record.',
    not_comment_author: 'Only the author can change a comment.',
    comment_unchanged: 'The comment already says that.',
    not_requester: 'Only the requester can rate this ticket.',
    rate_not_closed: 'Only a closed ticket can be rated.',
    rating_expired: 'This rating request no longer applies.',
    no_technician: 'This ticket has no technician to rate.',
    self_rating: 'Nobody rates their own work.',
    already_rated: 'This ticket is already rated.',
    rating_not_found: 'There is no rating of yours to add a remark to.',
    not_rating_requester: 'Only the requester adds a remark to their rating.',
    remark_already_added: 'You already added a remark to this rating.',
    not_admin: 'Only admins change the technician roster.',
    ticket_not_found: 'That ticket does not exist any more.',
    ticket_changed:
      'Someone changed this ticket meanwhile; the card now shows where it stands. Try again if it still applies.',
    ticket_closed: 'This ticket is closed; reopen it first.',
    already_assigned: 'The ticket is already assigned that way.',
    not_assigned: 'This ticket has no technician to unassign.',
    invalid_input: 'That did not work: check what you entered.',
    unexpected: 'Something went wrong on our side; nothing changed. Try again in a moment.',
  } as Record<string, string>,
  rosterNotTechnician: 'Pick someone from the technician roster.',
};

export type Messages = typeof en;

const fr: Messages = {
  appName: 'ticketbot',
  newTicketTitle: 'Nouveau ticket',
  submit: 'Créer',
  cancel: 'Annuler',
  close: 'Fermer',
  fieldTitle: 'Titre',
  fieldTitlePlaceholder: 'Le problème, en quelques mots',
  fieldDescription: 'Description',
  fieldDescriptionPlaceholder: 'Ce qui s’est passé, ce que vous attendiez, ce que vous avez essayé',
  fieldTechnician: 'Technicien',
  fieldTechnicianPlaceholder: 'Laisser vide pour que l’équipe choisisse',
  fieldTechnicianHint: 'Seuls les techniciens de l’équipe peuvent être choisis.',
  noTechnicians: 'Aucun technicien pour l’instant : un admin les ajoute depuis l’accueil de l’app.',
  fieldPriority: 'Priorité',
  priority: { low: 'Basse', normal: 'Normale', high: 'Haute', urgent: 'Urgente' },
  status: { open: 'Ouvert', in_progress: 'En cours', closed: 'Fermé' },
  errorTitleRequired: 'Donnez un titre au ticket.',
  errorTitleTooLong: (max) => `Le titre tient en ${max} caractères au plus.`,
  errorDescriptionTooLong: (max) => `La description tient en ${max} caractères au plus.`,
  errorPriority: 'Choisissez une priorité.',
  errorTechnician: 'Choisissez quelqu’un dans l’équipe technique.',
  errorCommentRequired: 'Écrivez quelque chose.',
  errorCommentTooLong: (max) => `Un commentaire tient en ${max} caractères au plus.`,

  cardFallback: (id, title) => `Ticket n°${id} : ${title}`,
  cardPriority: 'Priorité',
  cardStatus: 'Statut',
  cardRequester: 'Demandeur',
  cardTechnician: 'Technicien',
  cardUnassigned: '_Non assigné_',
  cardFromMessage: (link) => `Créé depuis <${link}|ce message>`,
  cardFromMessageNoLink: 'Créé depuis un message Slack',
  cardLatest: 'Dernière activité :',
  assignPlaceholder: 'Assigner',
  buttonUnassign: 'Désassigner',
  buttonStart: 'Démarrer',
  buttonClose: 'Fermer',
  buttonReopen: 'Rouvrir',
  buttonComment: 'Commenter',

  activity: {
    created: (who) => `${who} a ouvert le ticket`,
    assigned: (who, to) => `${who} l’a assigné à ${to}`,
    unassigned: (who) => `${who} l’a désassigné`,
    status_changed: (who, from, to) => `${who} l’a passé de ${from} à ${to}`,
    reopened: (who) => `${who} l’a rouvert`,
    commented: (who) => `${who} a commenté`,
    comment_edited: (who) => `${who} a modifié un commentaire`,
    comment_deleted: (who) => `${who} a supprimé un commentaire`,
    rated: (who, score) => `${who} l’a noté ${score}/5`,
    rating_remarked: (who) => `${who} a ajouté une remarque à sa note`,
  },

  commentTitle: 'Ajouter un commentaire',
  commentSubmit: 'Publier',
  commentLabel: (id) => `Commentaire sur le ticket n°${id}`,
  commentInThread: (who, body) => `${who} : ${body}`,
  commentCut: (link) =>
    `\n_Slack affiche les messages jusqu’à 40 000 caractères, celui-ci s’arrête donc ici. <${link}|Le commentaire entier> est sur la page de suivi._`,

  replyEmpty: (id) =>
    `Seul le texte devient un commentaire, et cette réponse n’en a pas : le ticket n°${id} ne l’a pas enregistrée. Fichiers et images restent dans le fil.`,
  replyTooLong: (id, max) =>
    `Cette réponse dépasse la longueur d’un commentaire (${max.toLocaleString('fr')} caractères) : le ticket n°${id} ne l’a pas enregistrée. Découpez-la en réponses plus courtes.`,
  replyFailed: (id) =>
    `Un problème de notre côté a empêché le ticket n°${id} d’enregistrer cette réponse. Publiez-la de nouveau dans un instant.`,
  editEmpty: (id) =>
    `Votre modification ne laisse aucun texte : le ticket n°${id} garde la réponse telle qu’elle était. Pour retirer le commentaire, supprimez la réponse.`,
  editTooLong: (id, max) =>
    `Votre modification rend la réponse plus longue qu’un commentaire (${max.toLocaleString('fr')} caractères) : le ticket n°${id} la garde telle qu’elle était.`,
  editFailed: (id) =>
    `Un problème de notre côté a empêché le ticket n°${id} d’enregistrer votre modification. Modifiez la réponse de nouveau dans un instant.`,
  deleteFailed: (id) =>
    `Un problème de notre côté : le ticket n°${id} contient encore la réponse que vous avez supprimée. Prévenez un admin pour qu’elle soit retirée.`,

  dmCreated: (id, title, link) =>
    `Votre ticket <${link}|n°${id} ${title}> est ouvert. Suivez-le dans son fil.`,
  dmCreatedNoLink: (id, title) => `Votre ticket n°${id} ${title} est ouvert.`,
  dmAssigned: (id, title, link) => `Le ticket <${link}|n°${id} ${title}> vous a été assigné.`,
  dmAssignedNoLink: (id, title) => `Le ticket n°${id} ${title} vous a été assigné.`,
  cannotPost: (channel, id, title) =>
    `Votre ticket n°${id} ${title} est enregistré, mais je n’ai pas pu le publier dans <#${channel}> : les techniciens ne l’y ont pas vu. Invitez-moi (\`/invite @ticketbot\`) ou demandez à un admin de vérifier HELPDESK_CHANNEL_ID.`,
  cardNeedsHelpdesk: (id, title) =>
    `Votre ticket n°${id} ${title} est enregistré, mais il n’a pas de carte : aucun canal d’assistance n’est défini. Demandez à un admin de régler HELPDESK_CHANNEL_ID.`,
  needHelpdeskChannel:
    'Les tickets ouverts ici ont besoin d’un canal d’assistance, où les techniciens les voient, et aucun n’est défini. Utilisez `/ticket` dans un canal où je suis, ou demandez à un admin de régler HELPDESK_CHANNEL_ID.',

  ratingPrompt: (id, title, technician) =>
    `Le ticket n°${id} ${title} est fermé. Comment ${technician} s’en est-il sorti ?`,
  ratingPromptHint: 'Un clic suffit pour noter ; vous pourrez ensuite ajouter une remarque.',
  ratingThanks: (score) => `Merci ! Vous avez noté ce ticket ${score}/5.`,
  ratingAddRemark: 'Ajouter une remarque',
  ratingYourRemark: (remark) => `Votre remarque : ${remark}`,
  ratingRemarkTitle: 'Votre remarque',
  ratingRemarkSubmit: 'Enregistrer',
  ratingRemarkLabel: (id, score) => `Un mot à ajouter à votre ${score}/5 pour le ticket n°${id} ?`,
  ratingRemarkRequired: 'Écrivez une remarque, ou fermez cette fenêtre.',
  ratingRemarkTooLong: (max) => `Limitez la remarque à ${max} caractères.`,
  ratingRemarkTooSlow:
    'Slack m’a laissé trop peu de temps pour ouvrir la fenêtre de remarque. Cliquez à nouveau sur *Ajouter une remarque*.',
  ratingExpired: 'Cette demande d’évaluation ne s’applique plus : le ticket a été rouvert ou déjà noté.',
  ratingReopened: (id, title) =>
    `Le ticket n°${id} ${title} a été rouvert : rien à noter pour l’instant. Nous vous le redemanderons quand il sera fermé.`,

  helpText:
    '*/ticket* [titre] ouvre un nouveau ticket.\n*/ticket mine* liste vos tickets ouverts.\n*/ticket help* affiche cette aide.\nRépondez dans le fil d’un ticket pour commenter ; les techniciens traitent les tickets avec les boutons de la carte ou depuis l’accueil de l’app.',
  mineNone: 'Vous n’avez aucun ticket ouvert.',
  mineHeader: 'Vos tickets ouverts :',

  homeTitle: 'ticketbot',
  homeNewTicket: 'Nouveau ticket',
  homeMine: 'Mes tickets ouverts',
  homeAssigned: 'Qui me sont assignés',
  homeRoster: 'Techniciens',
  homeNone: '_Rien ici._',
  homeRosterEmpty: '_Aucun technicien pour l’instant._',
  homeRosterAdd: 'Ajouter un technicien',
  homeRosterRemovePick: 'Retirer un technicien',
  homeRosterRemove: 'Retirer',
  homeMore: (count) => `…et ${count} de plus`,

  noticeTitle: 'ticketbot',
  refused: {
    not_technician: 'Seuls les techniciens et les admins peuvent faire cela.',
    requester_can_only_close:
      'En tant que demandeur, vous pouvez fermer votre ticket, pas changer son statut autrement.',
    use_reopen: 'Ce ticket est fermé : utilisez Rouvrir.',
    already_open: 'Ce ticket est déjà ouvert.',
    already_in_progress: 'Ce ticket est déjà en cours.',
    already_closed: 'Ce ticket est déjà fermé.',
    invalid_status: 'Le ticket ne peut pas passer à ce statut depuis le sien.',
    not_allowed_reopen: 'Seuls les techniciens, les admins et le demandeur peuvent rouvrir un ticket.',
    not_closed: 'Ce ticket n’est pas fermé.',
    not_allowed_comment: 'Seuls le demandeur et les techniciens commentent ce ticket.',
    comment_not_found: 'Ce commentaire n’est pas enregistré.',
    not_comment_author: 'Seul son auteur peut modifier un commentaire.',
    comment_unchanged: 'Le commentaire dit déjà cela.',
    not_requester: 'Seul le demandeur peut noter ce ticket.',
    rate_not_closed: 'Seul un ticket fermé peut être noté.',
    rating_expired: 'Cette demande d’évaluation ne s’applique plus.',
    no_technician: 'Ce ticket n’a pas de technicien à noter.',
    self_rating: 'Personne ne note son propre travail.',
    already_rated: 'Ce ticket est déjà noté.',
    rating_not_found: 'Il n’y a pas de note de votre part à compléter d’une remarque.',
    not_rating_requester: 'Seul le demandeur ajoute une remarque à sa note.',
    remark_already_added: 'Vous avez déjà ajouté une remarque à cette note.',
    not_admin: 'Seuls les admins modifient l’équipe technique.',
    ticket_not_found: 'Ce ticket n’existe plus.',
    ticket_changed:
      'Quelqu’un a modifié ce ticket entre-temps ; la carte montre maintenant où il en est. Réessayez si c’est toujours utile.',
    ticket_closed: 'Ce ticket est fermé ; rouvrez-le d’abord.',
    already_assigned: 'Le ticket est déjà assigné ainsi.',
    not_assigned: 'Ce ticket n’a pas de technicien à désassigner.',
    invalid_input: 'Cela n’a pas marché : vérifiez votre saisie.',
    unexpected: 'Un problème est survenu de notre côté ; rien n’a changé. Réessayez dans un instant.',
  },
  rosterNotTechnician: 'Choisissez quelqu’un dans l’équipe technique.',
};

const catalogs: Record<Language, Messages> = { en, fr };

export function messages(language: Language): Messages {
  return catalogs[language];
}

/** The explanation for a refused action, by the domain error's reason. */
export function refusal(t: Messages, reason: string): string {
  return t.refused[reason] ?? t.refused.unexpected!;
}
