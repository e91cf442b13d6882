import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { failureLimiter } from './rateLimits.js';
import type { SessionStore } from './sessions.js';

// Who may see what. Three set-ups (see "Security" in README.md):
// - Sign in with Slack: each person is who Slack says; what they see follows the roster.
// - Basic auth (STATUS_PAGE_USER/PASSWORD): one shared identity that sees and does what an admin
//   does, for a set-up without people; nothing tells one person from another.
// - Neither: only a browser on this machine, talking to ticketbot directly (isLocalRequest).
// /metrics is for machines: a bearer token (METRICS_TOKEN), Basic auth when that is the set-up,
// or the same "directly from this machine" rule.

export type Role = 'requester' | 'technician' | 'admin';

export interface Access {
  role: Role;
  via: 'slack' | 'basic' | 'loopback';
  /** The person signed in with Slack; absent for the shared identities. */
  person?: { userId: string; name: string };
  /** What CSRF tokens are tied to: the session's key, or the shared identity. */
  csrfKey: string;
}

/** Technicians and admins see every ticket; a requester only their own. */
export function seesEveryTicket(access: Access): boolean {
  return access.role !== 'requester';
}

/**
 * Tickets of private request types are for the staff who signed in with Slack as themselves
 * (and each for its requester): not for the shared identities (the Basic password, this
 * machine), whose holder is nobody in particular.
 */
export function seesPrivateTickets(access: Access): boolean {
  return access.via === 'slack' && access.role !== 'requester';
}

export function accessOf(res: Response): Access | undefined {
  return res.locals.access as Access | undefined;
}

/** The workspace whose people may sign in, known once Slack has answered auth.test. */
export interface Workspace {
  teamId: string | undefined;
}

export const SESSION_COOKIE = (secure: boolean) =>
  secure ? '__Host-ticketbot_session' : 'ticketbot_session';

/** Headers a proxy adds on the way: a browser talking to ticketbot directly sends none of them. */
const FORWARDING_HEADER = /^(forwarded|via|x-real-ip|x-forwarded-.+|x-envoy-.+|x-original-forwarded-for)$/;

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

function isLoopbackName(host: string | undefined): boolean {
  if (!host) return false;
  const name = host
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || isLoopbackAddress(name);
}

/**
 * Why a request does not count as coming straight from this machine, or undefined when it does.
 * A loopback peer alone is not enough: a proxy on this host (nginx, haproxy, a mesh sidecar) is
 * a loopback peer too and would make every visitor look local. So the request must also name
 * this machine in Host (a proxy passing the public name on does not; it also stops DNS
 * rebinding), carry no header a proxy adds, not come from a configured TRUST_PROXY, and speak
 * HTTP/1.1 or later (nginx's default proxy_pass speaks HTTP/1.0 and adds no header; browsers
 * and Prometheus speak 1.1).
 */
export function notLocalBecause(req: Request): string | undefined {
  const peer = req.socket.remoteAddress;
  if (!isLoopbackAddress(peer)) return 'not a loopback client';
  const trusted = req.app.get('trust proxy fn') as ((address: string, hop: number) => boolean) | undefined;
  if (peer && trusted?.(peer, 0)) return 'came through a trusted proxy';
  const forwarded = Object.keys(req.headers).find((name) => FORWARDING_HEADER.test(name));
  if (forwarded) return `came through a proxy (${forwarded} header)`;
  if (!isLoopbackName(req.headers.host)) return 'Host does not name this machine';
  if (req.httpVersionMajor < 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor < 1))
    return 'HTTP/1.0, as a proxy speaks';
  return undefined;
}

/** Equal-length digests so neither the content nor the length of the secret leaks through timing. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export function basicCredentials(req: Request): { user: string; password: string } | undefined {
  const header = req.headers.authorization ?? '';
  const match = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function basicMatches(req: Request, expected: { user: string; password: string }): boolean {
  const given = basicCredentials(req);
  // Both compared every time: no early exit that tells a right user name from a wrong one.
  const userOk = sameSecret(given?.user ?? '', expected.user);
  const passwordOk = sameSecret(given?.password ?? '', expected.password);
  return Boolean(given) && userOk && passwordOk;
}

function bearerToken(req: Request): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
}

type Translate = (key: string, values?: Record<string, unknown>) => string;
const translate = (res: Response): Translate =>
  (res.locals.t as Translate | undefined) ?? ((key: string) => key);

export interface AccessDeps {
  config: Config;
  logger: Logger;
  sessions: SessionStore | undefined;
  workspace: Workspace;
  secureCookies: boolean;
}

export interface AccessRules {
  /** Pages: sets res.locals.access, or answers (sign in, password, refused). */
  person: RequestHandler[];
  /** /metrics. */
  machine: RequestHandler[];
  /** Resolves the Slack session when there is one, answering nothing (the sign-in pages). */
  optionalPerson: RequestHandler;
}

export function accessRules(deps: AccessDeps): AccessRules {
  const { config, logger, sessions, workspace } = deps;
  const signIn = config.signIn;
  const sessionCookie = SESSION_COOKIE(deps.secureCookies);
  // Wrong passwords and tokens count; a request with no credentials (a browser's first try,
  // before it shows the password dialog) does not.
  const credentialFailures = failureLimiter('credentials', (req) => !req.headers.authorization);

  async function slackPerson(req: Request): Promise<Access | undefined> {
    const found = await sessions?.find(req.cookies?.[sessionCookie] as string | undefined);
    if (!found) return undefined;
    if (found.teamId !== workspace.teamId) return undefined;
    return {
      role: found.isAdmin ? 'admin' : found.isTechnician ? 'technician' : 'requester',
      via: 'slack',
      person: { userId: found.userId, name: found.name },
      csrfKey: found.key,
    };
  }

  const optionalPerson: RequestHandler = (req, res, next) => {
    if (signIn.mode !== 'slack') return next();
    slackPerson(req).then((access) => {
      res.locals.access = access;
      next();
    }, next);
  };

  const person: RequestHandler = (req, res, next) => {
    const t = translate(res);
    if (signIn.mode === 'slack') {
      slackPerson(req).then((access) => {
        if (access) {
          res.locals.access = access;
          return next();
        }
        res.set('Cache-Control', 'no-store');
        if (req.method === 'GET' || req.method === 'HEAD') {
          // The link in an email leads back to its ticket once Slack has said who this is.
          res.redirect(303, `/signin?back=${encodeURIComponent(req.originalUrl)}`);
          return;
        }
        res.status(401).render('error', { title: t('signin.needed'), message: t('signin.expired') });
      }, next);
      return;
    }
    if (signIn.mode === 'basic') {
      if (basicMatches(req, signIn)) {
        res.locals.access = { role: 'admin', via: 'basic', csrfKey: `basic:${signIn.user}` } satisfies Access;
        return next();
      }
      if (req.headers.authorization)
        logger.warn({ ip: req.ip, path: req.path }, 'status page: wrong user or password');
      res.set('WWW-Authenticate', 'Basic realm="ticketbot status", charset="UTF-8"');
      res.status(401).render('error', { title: t('error.unauthorized'), message: t('error.unauthorized') });
      return;
    }
    const why = notLocalBecause(req);
    if (!why) {
      res.locals.access = { role: 'admin', via: 'loopback', csrfKey: 'loopback' } satisfies Access;
      return next();
    }
    logger.info({ ip: req.ip, path: req.path, why }, 'status page refused: no sign-in is set up');
    res.status(403).render('error', { title: t('error.forbidden'), message: t('error.loopbackOnly') });
  };

  const machine: RequestHandler = (req, res, next) => {
    const token = bearerToken(req);
    if (token !== undefined) {
      if (config.metricsToken && sameSecret(token, config.metricsToken)) return next();
      logger.warn({ ip: req.ip, path: req.path }, 'metrics: wrong bearer token');
      res.status(401).type('text/plain').send('Wrong token.\n');
      return;
    }
    if (signIn.mode === 'basic' && req.headers.authorization) {
      if (basicMatches(req, signIn)) return next();
      logger.warn({ ip: req.ip, path: req.path }, 'metrics: wrong user or password');
      res.set('WWW-Authenticate', 'Basic realm="ticketbot status", charset="UTF-8"');
      res.status(401).type('text/plain').send('Wrong user or password.\n');
      return;
    }
    const why = notLocalBecause(req);
    if (!why) return next();
    logger.info({ ip: req.ip, why }, 'metrics refused');
    res
      .status(403)
      .type('text/plain')
      .send('/metrics answers this machine directly, or a bearer token (METRICS_TOKEN).\n');
  };

  return {
    person: signIn.mode === 'basic' ? [credentialFailures, person] : [person],
    machine: [credentialFailures, machine],
    optionalPerson,
  };
}
