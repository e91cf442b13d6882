import { randomBytes } from 'node:crypto';
import type { Transaction } from 'sequelize';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import {
  ASSIGNMENT_RULES,
  type AssignmentRule,
  FIELD_KINDS,
  type FieldDefinition,
  type RequestType,
} from '../db/models/requestType.js';
import { PRIORITIES, type Priority, type Ticket } from '../db/models/ticket.js';
import { runInTransaction } from '../db/transaction.js';
import { businessDayMinutes } from '../sla/businessTime.js';
import type { TypeTargets } from '../sla/policy.js';
import { parseTarget, TargetOrderError } from '../sla/settings.js';
import { type ChangeRequest, changeTicket } from './change.js';
import type { TicketChange, TicketContext } from './context.js';
import { InvalidTransition, NotAllowed, NotFound, ValidationFailed } from './errors.js';
import { typeTargetsOf } from './sla.js';
import { ensureUsers, isStaff, loadActor } from './users.js';
import { parseOrFail } from './validation.js';

// Request types: what admins define (name, description shown in the modal, default priority, the
// technicians who handle it, the channel its cards go to, whether it is private, how its tickets
// are assigned, up to five extra fields, and its own service-level targets for some priorities),
// and the values a ticket is opened with.

export const TYPE_NAME_MAX = 80;
export const TYPE_DESCRIPTION_MAX = 300;
export const FIELDS_MAX = 5;
/** A field's label is an input block's label: plain text, up to 2,000 characters in Block Kit; kept short. */
export const FIELD_LABEL_MAX = 50;
/**
 * A choice field is a static_select: up to 100 options, each text up to 75 characters
 * (https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element/,
 * https://docs.slack.dev/reference/block-kit/composition-objects/option-object/). Fewer are kept.
 */
export const OPTIONS_MAX = 25;
export const OPTION_MAX = 75;
export const SHORT_VALUE_MAX = 150;
export const LONG_VALUE_MAX = 3000;
export const TYPE_TECHNICIANS_MAX = 50;
/** A type's target as written ("1d4h30m/5d"): short. */
export const TYPE_TARGET_MAX = 40;

export interface RequestTypeView {
  id: number;
  name: string;
  description: string;
  defaultPriority: Priority;
  technicianIds: string[];
  channelId: string | null;
  isPrivate: boolean;
  isDefault: boolean;
  assignment: AssignmentRule;
  fields: FieldDefinition[];
  /** Its own targets by priority, as written ("30m/2h"); a priority absent takes the priority's. */
  slaTargets: TypeTargets;
  archived: boolean;
  version: number;
}

/** A field's value as a ticket keeps it: the label as it was asked, and the answer. */
export interface StoredField {
  id: string;
  label: string;
  value: string;
}

const fieldSchema = z.object({
  id: z
    .string()
    .regex(/^f[0-9a-f]{6}$/)
    .optional(),
  label: z
    .string()
    .trim()
    .min(1, 'Give each field a label')
    .max(FIELD_LABEL_MAX, `Keep field labels to ${FIELD_LABEL_MAX} characters`),
  kind: z.enum(FIELD_KINDS),
  required: z.boolean().default(false),
  options: z
    .array(z.string().trim().min(1).max(OPTION_MAX, `Keep each choice to ${OPTION_MAX} characters`))
    .max(OPTIONS_MAX, `A choice field has up to ${OPTIONS_MAX} choices`)
    .optional(),
});

const targetText = z
  .string()
  .trim()
  .max(TYPE_TARGET_MAX, `Keep a target to ${TYPE_TARGET_MAX} characters`)
  .optional();

export const requestTypeInputSchema = z
  .object({
    name: z
      .string()
      .trim()
      .min(1, 'Give the type a name')
      .max(TYPE_NAME_MAX, `Keep the name to ${TYPE_NAME_MAX} characters`),
    description: z
      .string()
      .trim()
      .max(TYPE_DESCRIPTION_MAX, `Keep the description to ${TYPE_DESCRIPTION_MAX} characters`)
      .default(''),
    defaultPriority: z.enum(PRIORITIES).default('normal'),
    technicianIds: z
      .array(z.string().regex(/^[UW][A-Z0-9]+$/))
      .max(TYPE_TECHNICIANS_MAX, `Up to ${TYPE_TECHNICIANS_MAX} technicians per type`)
      .default([]),
    channelId: z
      .string()
      .regex(/^[CG][A-Z0-9]+$/, 'Pick a channel')
      .nullish(),
    isPrivate: z.boolean().default(false),
    isDefault: z.boolean().default(false),
    assignment: z.enum(ASSIGNMENT_RULES).default('none'),
    fields: z.array(fieldSchema).max(FIELDS_MAX, `Up to ${FIELDS_MAX} fields`).default([]),
    /** The type's own targets, written as SLA_TARGETS_<PRIORITY> are ("1h/4h"); empty: the priority's. */
    slaTargets: z
      .object({ urgent: targetText, high: targetText, normal: targetText, low: targetText })
      .partial()
      .default({}),
  })
  .superRefine((type, issues) => {
    if (type.isPrivate && !type.channelId)
      issues.addIssue({
        code: 'custom',
        path: ['channelId'],
        message: 'A private type needs its private channel',
      });
    if (type.assignment !== 'none' && type.technicianIds.length === 0)
      issues.addIssue({
        code: 'custom',
        path: ['technicianIds'],
        message: 'Automatic assignment needs at least one technician',
      });
    const labels = new Set<string>();
    type.fields.forEach((field, index) => {
      const label = field.label.toLowerCase();
      if (labels.has(label))
        issues.addIssue({
          code: 'custom',
          path: ['fields', index],
          message: 'Two fields have the same label',
        });
      labels.add(label);
      if (field.kind === 'choice' && new Set(field.options ?? []).size < 2)
        issues.addIssue({
          code: 'custom',
          path: ['fields', index],
          message: 'A choice field needs at least two different choices',
        });
    });
  });
export type RequestTypeInput = z.input<typeof requestTypeInputSchema>;

function jsonList<T>(text: string | null | undefined): T[] {
  if (!text) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? (parsed as T[]) : [];
  } catch {
    return [];
  }
}

export function viewOfType(row: RequestType): RequestTypeView {
  return {
    id: row.id,
    name: row.name,
    description: row.description ?? '',
    defaultPriority: row.defaultPriority ?? 'normal',
    technicianIds: jsonList<string>(row.technicianIds),
    channelId: row.channelId,
    isPrivate: Boolean(row.isPrivate),
    isDefault: Boolean(row.isDefault),
    assignment: row.assignment ?? 'none',
    fields: jsonList<FieldDefinition>(row.fields),
    slaTargets: typeTargetsOf(row.slaTargets),
    archived: row.archivedAt !== null && row.archivedAt !== undefined,
    version: row.version ?? 1,
  };
}

/** The types people can pick (archived ones too with `includeArchived`), by name. */
export async function listRequestTypes(
  db: Database,
  options: { includeArchived?: boolean } = {},
): Promise<RequestTypeView[]> {
  const rows = await db.models.RequestType.findAll({
    where: options.includeArchived ? {} : { archivedAt: null },
    order: [['name', 'ASC']],
  });
  return rows.map(viewOfType);
}

export async function requestTypeById(
  db: Database,
  id: number,
  transaction?: Transaction,
): Promise<RequestTypeView | undefined> {
  const row = await db.models.RequestType.findByPk(id, { transaction });
  return row ? viewOfType(row) : undefined;
}

/** The type a ticket gets when nobody picked one (a reaction, a message shortcut): the default. */
export async function defaultRequestType(db: Database): Promise<RequestTypeView | undefined> {
  const row = await db.models.RequestType.findOne({
    where: { isDefault: true, archivedAt: null },
    order: [['id', 'ASC']],
  });
  return row ? viewOfType(row) : undefined;
}

function newFieldId(): string {
  return `f${randomBytes(3).toString('hex')}`;
}

/** Why a type's written target was refused: it does not read, or its resolution is the shorter. */
export type TargetProblem = 'format' | 'order';

/**
 * A type's targets checked with the settings' own parser (a `d` being one business day of
 * `policy`, 8 h without one), each kept in its tidied written form. A target that does not read
 * is reported under `slaTargets`, its issue's path being ['slaTargets', priority, problem].
 */
export function checkTypeTargets(
  written: Partial<Record<Priority, string | undefined>>,
  dayMinutes: number,
): TypeTargets {
  const targets: TypeTargets = {};
  const issues: Array<{ path: Array<string | number>; message: string }> = [];
  for (const priority of PRIORITIES) {
    const text = (written[priority] ?? '').toLowerCase().replace(/\s+/g, '');
    if (!text) continue;
    try {
      parseTarget(text, dayMinutes);
      targets[priority] = text;
    } catch (error) {
      const problem: TargetProblem = error instanceof TargetOrderError ? 'order' : 'format';
      issues.push({
        path: ['slaTargets', priority, problem],
        message: `${priority}: ${(error as Error).message}`,
      });
    }
  }
  if (issues.length > 0) throw new ValidationFailed({ slaTargets: issues[0]!.message }, issues);
  return targets;
}

/**
 * Creates a type (no `id`) or replaces one, by an admin. A field keeps its id when edited (the
 * values tickets hold name it); technicians must be on the roster; its own targets must read as
 * the settings' do. Marking a type the default takes that from any other. Tickets already open
 * keep their due times until their priority or type changes or they are reopened. `expectedVersion`: the version the admin's form was drawn from.
 */
export async function saveRequestType(
  ctx: TicketContext,
  props: RequestTypeInput & { id?: number; expectedVersion?: number },
): Promise<RequestTypeView> {
  const input = parseOrFail(requestTypeInputSchema, props);
  const slaTargets = checkTypeTargets(input.slaTargets, ctx.sla ? businessDayMinutes(ctx.sla.calendar) : 480);
  return runInTransaction(ctx.db, async (transaction) => {
    const actor = await loadActor(ctx.db, ctx.actorId, transaction);
    if (!actor.isAdmin) throw new NotAllowed('Only admins define request types', 'not_admin');
    const models = ctx.db.models;
    if (input.technicianIds.length > 0) {
      await ensureUsers(ctx.db, input.technicianIds, transaction);
      const onRoster = await models.User.count({
        where: { id: input.technicianIds, isTechnician: true },
        transaction,
      });
      if (onRoster !== new Set(input.technicianIds).size)
        throw new ValidationFailed({ technicianIds: 'Pick technicians from the roster' });
    }
    const sameName = await models.RequestType.findOne({ where: { name: input.name }, transaction });
    if (sameName && sameName.id !== props.id)
      throw new ValidationFailed({ name: 'Another type has this name' });
    const existing = props.id ? await models.RequestType.findByPk(props.id, { transaction }) : null;
    if (props.id && !existing)
      throw new NotFound(`Request type ${props.id} does not exist`, 'type_not_found');
    const knownIds = new Set(existing ? viewOfType(existing).fields.map((field) => field.id) : []);
    const fields: FieldDefinition[] = input.fields.map((field) => ({
      id: field.id && knownIds.has(field.id) ? field.id : newFieldId(),
      label: field.label,
      kind: field.kind,
      required: field.required,
      ...(field.kind === 'choice' ? { options: [...new Set(field.options ?? [])] } : {}),
    }));
    const values = {
      name: input.name,
      description: input.description,
      defaultPriority: input.defaultPriority,
      technicianIds: JSON.stringify([...new Set(input.technicianIds)]),
      channelId: input.channelId ?? null,
      isPrivate: input.isPrivate,
      isDefault: input.isDefault,
      assignment: input.assignment,
      fields: JSON.stringify(fields),
      slaTargets: Object.keys(slaTargets).length > 0 ? JSON.stringify(slaTargets) : null,
    };
    if (input.isDefault) {
      await models.RequestType.update({ isDefault: false }, { where: { isDefault: true }, transaction });
    }
    if (existing) {
      if (props.expectedVersion !== undefined && existing.version !== props.expectedVersion)
        throw new ValidationFailed({ name: 'Someone changed this type meanwhile; open it again' });
      await existing.update({ ...values, version: existing.version + 1 }, { transaction });
      return viewOfType(existing);
    }
    const created = await models.RequestType.create(
      { ...values, lastAssignedId: null, archivedAt: null, version: 1 },
      { transaction },
    );
    return viewOfType(created);
  });
}

/** An admin archives a type: no longer offered; its tickets keep it. Restoring brings it back. */
export async function archiveRequestType(
  ctx: TicketContext,
  props: { id: number; archived: boolean },
): Promise<RequestTypeView> {
  return runInTransaction(ctx.db, async (transaction) => {
    const actor = await loadActor(ctx.db, ctx.actorId, transaction);
    if (!actor.isAdmin) throw new NotAllowed('Only admins define request types', 'not_admin');
    const row = await ctx.db.models.RequestType.findByPk(props.id, { transaction });
    if (!row) throw new NotFound(`Request type ${props.id} does not exist`, 'type_not_found');
    await row.update(
      {
        archivedAt: props.archived ? new Date() : null,
        isDefault: props.archived ? false : row.isDefault,
        version: row.version + 1,
      },
      { transaction },
    );
    return viewOfType(row);
  });
}

/** The key a field's error is reported under (the modal's block for it has the same name). */
export function fieldKey(fieldId: string): string {
  return `field_${fieldId}`;
}

/**
 * The answers to a type's fields, checked: required ones given, a choice one of its options,
 * lengths within bounds. Fields the type does not have are dropped. Each failure is reported
 * under fieldKey(id).
 */
export function checkFieldValues(
  type: RequestTypeView,
  values: Record<string, string | null | undefined>,
  options: { unasked?: boolean } = {},
): StoredField[] {
  const problems: Record<string, string> = {};
  const stored: StoredField[] = [];
  for (const field of type.fields) {
    const value = (values[field.id] ?? '').trim();
    const key = fieldKey(field.id);
    if (!value) {
      // Nobody was asked (a ticket from a reaction): a required field stays empty.
      if (field.required && !options.unasked) problems[key] = `${field.label} is required`;
      continue;
    }
    if (field.kind === 'choice' && !(field.options ?? []).includes(value)) {
      problems[key] = `Pick one of the choices for ${field.label}`;
    } else if (field.kind === 'short' && value.length > SHORT_VALUE_MAX) {
      problems[key] = `Keep ${field.label} to ${SHORT_VALUE_MAX} characters`;
    } else if (field.kind === 'long' && value.length > LONG_VALUE_MAX) {
      problems[key] = `Keep ${field.label} to ${LONG_VALUE_MAX} characters`;
    } else {
      stored.push({ id: field.id, label: field.label, value });
    }
  }
  if (Object.keys(problems).length > 0) throw new ValidationFailed(problems);
  return stored;
}

/** The field values a ticket was opened with. */
export function storedFieldsOf(ticket: Pick<Ticket, 'requestFields'>): StoredField[] {
  return jsonList<StoredField>(ticket.requestFields).filter(
    (field) => typeof field?.label === 'string' && typeof field?.value === 'string',
  );
}

/**
 * For createTicket: the type a new ticket is opened with (undefined: none) and its checked
 * values. A type that is archived (or gone) is refused under `requestType`.
 */
export async function typeForNewTicket(
  db: Database,
  transaction: Transaction,
  requestTypeId: number | null | undefined,
  values: Record<string, string | null | undefined> | undefined,
  options: { unasked?: boolean } = {},
): Promise<{ type: RequestTypeView; fields: StoredField[] } | undefined> {
  if (requestTypeId === null || requestTypeId === undefined) return undefined;
  const type = await requestTypeById(db, requestTypeId, transaction);
  if (!type || type.archived) throw new ValidationFailed({ requestType: 'Pick a request type' });
  return { type, fields: checkFieldValues(type, values ?? {}, options) };
}

export interface ChangeTypeProps extends ChangeRequest {
  requestTypeId: number;
}

/**
 * A technician or admin changes a ticket's type (a reaction or shortcut ticket got the default):
 * the new type's fields start empty, the history says from which to which, and the due times
 * are derived again for the new type's targets (changeTicket, src/tickets/sla.ts), as for a
 * priority change.
 */
export async function changeRequestType(ctx: TicketContext, props: ChangeTypeProps): Promise<TicketChange> {
  return changeTicket(ctx, props, async (ticket, actor, transaction) => {
    if (!isStaff(actor))
      throw new NotAllowed('Only technicians and admins change the type', 'not_technician');
    if (ticket.status === 'closed')
      throw new InvalidTransition(`Ticket #${ticket.id} is closed; reopen it first`, 'ticket_closed', ticket);
    if (ticket.requestTypeId === props.requestTypeId)
      throw new InvalidTransition(`Ticket #${ticket.id} has that type already`, 'same_type', ticket);
    const next = await requestTypeById(ctx.db, props.requestTypeId, transaction);
    if (!next || next.archived) throw new ValidationFailed({ requestType: 'Pick a request type' });
    const before = ticket.requestTypeId
      ? await requestTypeById(ctx.db, ticket.requestTypeId, transaction)
      : undefined;
    ticket.requestTypeId = next.id;
    ticket.requestFields = null;
    return { type: 'type_changed', from: before?.name ?? null, to: next.name };
  });
}
