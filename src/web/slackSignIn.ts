import express, { type Response, Router } from 'express';
import * as oidc from 'openid-client';
import { z } from 'zod';
import type { Config, SignIn } from '../config.js';
import { isLoopbackHost } from '../config.js';
import type { Logger } from '../logger.js';
import { isSlackUserId } from '../slackIds.js';
import { type AccessRules, accessOf, SESSION_COOKIE, type Workspace } from './access.js';
import type { Csrf } from './csrf.js';
import { localPath } from './localPath.js';
import { failureLimiter } from './rateLimits.js';
import type { SessionStore } from './sessions.js';

// Sign in with Slack: OpenID Connect (https://docs.slack.dev/authentication/sign-in-with-slack).
// openid-client does the protocol: discovery, the authorization URL, state and nonce, the code
// exchange, and the id_token's signature (Slack's JWKS, RS256), issuer, audience, nonce and expiry.
// What is ours: only this workspace's people get in (the id_token's team), the session, and
// sending the person back to the page they asked for.
//
// PKCE: sent only when the provider's discovery document says it takes it. Slack's does not: its
// PKCE is a per-app setting that makes the app a public client, one way, and treats localhost
// redirects as desktop ones (https://docs.slack.dev/authentication/using-pkce). ticketbot is a
// confidential client: the client secret, state and nonce protect the code instead.

export const SIGN_IN_PATH = '/signin';
export const CALLBACK_PATH = '/signin/slack/callback';
const START_PATH = '/signin/slack';
/** What ticketbot asks Slack for: who you are, nothing more (manifest user scopes). */
export const SIGN_IN_SCOPES = 'openid email profile';
/** How long a person has at Slack's consent page before the sign-in must start over. */
const PENDING_MS = 10 * 60_000;

const pendingSchema = z.object({
  state: z.string().min(20).max(200),
  nonce: z.string().min(20).max(200),
  verifier: z.string().min(43).max(128).optional(),
  back: z.string().max(2000),
});

/** The claims Slack adds to the id_token (https://docs.slack.dev/reference/methods/openid.connect.token). */
const TEAM_CLAIM = 'https://slack.com/team_id';
const USER_CLAIM = 'https://slack.com/user_id';

export interface SlackSignInDeps {
  config: Config;
  signIn: Extract<SignIn, { mode: 'slack' }>;
  logger: Logger;
  sessions: SessionStore;
  workspace: Workspace;
  access: AccessRules;
  csrf: Csrf;
  secureCookies: boolean;
}

type Translate = (key: string, values?: Record<string, unknown>) => string;

export function slackSignInRoutes(deps: SlackSignInDeps): Router {
  const { config, signIn, sessions, workspace, csrf, secureCookies } = deps;
  const logger = deps.logger.child({ component: 'sign-in' });
  const router = Router();
  const sessionCookie = SESSION_COOKIE(secureCookies);
  const pendingCookie = secureCookies ? '__Secure-ticketbot_signin' : 'ticketbot_signin';
  const redirectUri = `${config.publicUrl}${CALLBACK_PATH}`;
  const failures = failureLimiter('sign-in', () => false);
  const form = express.urlencoded({ extended: false, limit: '4kb' });

  // Discovered once, on the first sign-in, and again after a failure (Slack unreachable).
  let discovered: Promise<oidc.Configuration> | undefined;
  const client = () => {
    discovered ??= discover(signIn).catch((error: unknown) => {
      discovered = undefined;
      throw error;
    });
    return discovered;
  };

  /** The sign-in page with what went wrong, and a button to start again towards the same page. */
  const refuse = (res: Response, status: number, key: string, reason: string, back = '/', extra = {}) => {
    const t = res.locals.t as Translate;
    logger.warn({ ...extra, reason, ip: res.req.ip }, 'sign-in refused');
    res.set('Cache-Control', 'no-store');
    res.status(status).render('signin', {
      title: t('signin.title'),
      problem: t(key),
      startHref: startHref(localPath(back)),
    });
  };

  router.get(SIGN_IN_PATH, deps.access.optionalPerson, (req, res) => {
    const back = localPath(req.query.back);
    res.set('Cache-Control', 'no-store');
    if (accessOf(res)) {
      res.redirect(303, back);
      return;
    }
    const t = res.locals.t as Translate;
    res.render('signin', {
      title: t('signin.title'),
      notice: req.query.signed_out === '1' ? t('signin.signedOut') : undefined,
      startHref: startHref(back),
    });
  });

  router.get(START_PATH, async (req, res, next) => {
    try {
      const back = localPath(req.query.back);
      let configuration: oidc.Configuration;
      try {
        configuration = await client();
      } catch (error) {
        logger.error({ err: error, issuer: signIn.issuer }, 'Sign in with Slack: discovery failed');
        refuse(res, 503, 'signin.slackDown', 'discovery failed', back);
        return;
      }
      const pending: z.infer<typeof pendingSchema> = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        back,
      };
      const parameters: Record<string, string> = {
        redirect_uri: redirectUri,
        scope: SIGN_IN_SCOPES,
        state: pending.state,
        nonce: pending.nonce,
      };
      // Slack skips its workspace picker for the team named here; the id_token is checked anyway.
      if (workspace.teamId) parameters.team = workspace.teamId;
      if (configuration.serverMetadata().supportsPKCE()) {
        pending.verifier = oidc.randomPKCECodeVerifier();
        parameters.code_challenge = await oidc.calculatePKCECodeChallenge(pending.verifier);
        parameters.code_challenge_method = 'S256';
      }
      // Lax, not Strict: it must come back with Slack's redirect, a navigation from slack.com.
      res.cookie(pendingCookie, JSON.stringify(pending), {
        httpOnly: true,
        secure: secureCookies,
        sameSite: 'lax',
        path: START_PATH,
        maxAge: PENDING_MS,
      });
      res.set('Cache-Control', 'no-store');
      res.redirect(303, oidc.buildAuthorizationUrl(configuration, parameters).href);
    } catch (error) {
      next(error);
    }
  });

  router.get(CALLBACK_PATH, failures, async (req, res, next) => {
    try {
      // One use only: whatever happens next, this sign-in attempt is spent.
      res.clearCookie(pendingCookie, {
        httpOnly: true,
        secure: secureCookies,
        sameSite: 'lax',
        path: START_PATH,
      });
      const pending = readPending(req.cookies?.[pendingCookie]);
      if (typeof req.query.error === 'string') {
        const answer = req.query.error.slice(0, 64);
        refuse(res, 401, 'signin.cancelled', `Slack answered ${answer}`, pending?.back);
        return;
      }
      if (!pending) {
        refuse(res, 400, 'signin.stale', 'no sign-in under way in this browser');
        return;
      }
      if (!workspace.teamId) {
        refuse(res, 503, 'signin.slackDown', 'the workspace is not known yet (auth.test)', pending.back);
        return;
      }
      const configuration = await client();
      const callbackUrl = new URL(`${redirectUri}${new URL(req.originalUrl, 'http://x').search}`);
      let claims: oidc.IDToken | undefined;
      try {
        const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          pkceCodeVerifier: pending.verifier,
          idTokenExpected: true,
        });
        claims = tokens.claims();
      } catch (error) {
        refuse(res, 401, 'signin.notConfirmed', describe(error), pending.back);
        return;
      }
      const teamId = claims?.[TEAM_CLAIM];
      const userId = claims?.[USER_CLAIM] ?? claims?.sub;
      if (teamId !== workspace.teamId) {
        refuse(res, 403, 'signin.otherWorkspace', 'an id_token from another workspace', pending.back, {
          team: String(teamId),
        });
        return;
      }
      if (!isSlackUserId(userId)) {
        refuse(res, 401, 'signin.notConfirmed', 'no Slack user id in the id_token', pending.back);
        return;
      }
      // A fresh session id at every sign-in; a session this browser held before is ended.
      await sessions.end(req.cookies?.[sessionCookie] as string | undefined);
      const name = typeof claims?.name === 'string' ? claims.name : null;
      const session = await sessions.start({ userId, teamId, name });
      res.cookie(sessionCookie, session.id, {
        httpOnly: true,
        secure: secureCookies,
        sameSite: 'lax',
        path: '/',
        expires: session.expiresAt,
      });
      logger.info({ slackUser: userId }, 'signed in with Slack');
      res.set('Cache-Control', 'no-store');
      res.redirect(303, localPath(pending.back));
    } catch (error) {
      next(error);
    }
  });

  router.post('/signout', deps.access.optionalPerson, form, async (req, res, next) => {
    try {
      const access = accessOf(res);
      if (access && !csrf.valid(req)) {
        const t = res.locals.t as Translate;
        res.status(403).render('error', { title: t('error.forbidden'), message: t('error.badRequest') });
        return;
      }
      await sessions.end(req.cookies?.[sessionCookie] as string | undefined);
      res.clearCookie(sessionCookie, { httpOnly: true, secure: secureCookies, sameSite: 'lax', path: '/' });
      if (access?.person) logger.info({ slackUser: access.person.userId }, 'signed out');
      res.redirect(303, `${SIGN_IN_PATH}?signed_out=1`);
    } catch (error) {
      next(error);
    }
  });

  return router;
}

function startHref(back: string): string {
  return back === '/' ? START_PATH : `${START_PATH}?back=${encodeURIComponent(back)}`;
}

function readPending(raw: unknown): z.infer<typeof pendingSchema> | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed = pendingSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The library's reason, for the log (never shown to the visitor). */
function describe(error: unknown): string {
  const { code, message, error: oauthError } = error as { code?: string; message?: string; error?: string };
  return [code, oauthError, message].filter(Boolean).join(': ').slice(0, 300);
}

async function discover(signIn: Extract<SignIn, { mode: 'slack' }>): Promise<oidc.Configuration> {
  const issuer = new URL(signIn.issuer);
  // Plain HTTP only to a test Slack on this machine; Slack itself is https.
  const insecure = issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname);
  // The id_token's signature is checked against Slack's JWKS too: openid-client would otherwise
  // rely on TLS alone for a token that came straight from the token endpoint (OIDC Core 3.1.3.7).
  const execute = [oidc.enableNonRepudiationChecks, ...(insecure ? [oidc.allowInsecureRequests] : [])];
  return oidc.discovery(
    issuer,
    signIn.clientId,
    signIn.clientSecret,
    oidc.ClientSecretPost(signIn.clientSecret),
    {
      execute,
      timeout: 10,
    },
  );
}
