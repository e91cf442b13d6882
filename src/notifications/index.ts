import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { TicketServices } from '../tickets/index.js';

export interface NotificationDeps {
  config: Config;
  services: TicketServices;
  logger: Logger;
}

export interface NotificationsHandle {
  stop(): Promise<void>;
}

/** Email notifications: outbox rows written with each ticket change, drained on a schedule (issue #4). */
export async function startNotifications(_deps: NotificationDeps): Promise<NotificationsHandle> {
  return { stop: async () => undefined };
}
