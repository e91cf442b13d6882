import { createHash } from 'node:crypto';

/** The domain part used in Message-IDs: MAIL_FROM's domain, else the public URL's host. */
export function mailDomain(from: string, publicUrl: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  const domain = address.includes('@') ? address.split('@').pop()?.trim() : undefined;
  return domain || new URL(publicUrl).hostname || 'ticketbot.invalid';
}

/**
 * One Message-ID per outbox row, derived from its idempotency key: every attempt at the same
 * email carries the same id, so a copy delivered twice (see the queue's duplicate bound) is
 * recognisably the same message to servers and mail clients that deduplicate.
 */
export function messageIdFor(idempotencyKey: string, domain: string): string {
  const digest = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
  return `<ticketbot.${digest}@${domain}>`;
}

/** The id every email about one ticket refers to, so mail clients thread them together. */
export function ticketThreadId(ticketId: number, domain: string): string {
  return `<ticketbot.ticket-${ticketId}@${domain}>`;
}
