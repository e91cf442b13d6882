import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

// Sign in with Slack, as the test Slack serves it: OpenID Connect discovery, the authorize
// redirect (with a consent page for the browser), openid.connect.token, openid.connect.userInfo
// and the JWKS, with id_tokens signed by a key of the test's own.
// Shapes and rules from Slack's documentation:
// - discovery: https://slack.com/.well-known/openid-configuration (copied below, with this
//   server's origin in place of https://slack.com; Slack's lists no PKCE methods);
// - token response and id_token claims: https://docs.slack.dev/reference/methods/openid.connect.token
//   (`{ok, access_token, token_type, id_token}`; exp = iat + 300 s in its example; the
//   https://slack.com/team_id and https://slack.com/user_id claims);
// - errors come as HTTP 200 `{ok:false, error}` like every Web API method; the codes
//   (invalid_client_id, bad_client_secret, invalid_code, bad_redirect_uri, invalid_grant_type)
//   are those listed for openid.connect.token;
// - "redirect_uri … is required if your app passed it as a parameter to /openid/connect/authorize"
//   and must match it (same page).

export interface SlackPerson {
  userId: string;
  name?: string;
  email?: string;
  /** The workspace they sign in to; the test Slack's own team when absent. */
  teamId?: string;
}

interface App {
  secret: string;
  redirectUrls: string[];
}

interface Grant {
  clientId: string;
  redirectUri: string | undefined;
  nonce: string | undefined;
  person: SlackPerson;
  challenge: string | undefined;
  used: boolean;
  expiresAt: number;
}

interface PendingConsent {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  nonce: string | undefined;
  challenge: string | undefined;
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export class SlackOidc {
  readonly apps = new Map<string, App>();
  /** Who is signed in to Slack in the browser that reaches the authorize page. */
  person: SlackPerson | undefined;
  /** Show a consent page with Allow and Cancel (a browser), or redirect at once (HTTP tests). */
  consentPage = false;
  /** Say in discovery that PKCE (S256) is taken, as a provider with PKCE would. */
  advertisePkce = false;
  /** The next id_token is signed with a key that is not in the JWKS (a forgery). */
  forgeNextIdToken = false;
  /** Every request the provider side saw, for tests to look at. */
  readonly requests: Array<{ path: string; params: Record<string, string> }> = [];
  private readonly grants = new Map<string, Grant>();
  private readonly consents = new Map<string, PendingConsent>();
  private readonly key: { privateKey: KeyObject; publicKey: KeyObject; kid: string };
  private readonly foreignKey: KeyObject;
  private readonly accessTokens = new Map<string, SlackPerson>();

  constructor(
    readonly origin: string,
    private readonly ownTeamId: string,
  ) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.key = { ...pair, kid: `test-${randomBytes(4).toString('hex')}` };
    this.foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  }

  /** A Slack app with Sign in with Slack: its client id, secret and redirect URLs (oauth_config). */
  addApp(clientId: string, secret: string, redirectUrls: string[]): void {
    this.apps.set(clientId, { secret, redirectUrls });
  }

  handles(path: string): boolean {
    return (
      path === '/.well-known/openid-configuration' ||
      path.startsWith('/openid/connect/') ||
      path === '/api/openid.connect.token' ||
      path === '/api/openid.connect.userInfo'
    );
  }

  handle(req: IncomingMessage, res: ServerResponse, raw: string, path: string): void {
    const url = new URL(req.url ?? '/', this.origin);
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    if (req.method === 'POST' && raw) Object.assign(params, Object.fromEntries(new URLSearchParams(raw)));
    this.requests.push({ path, params });
    switch (path) {
      case '/.well-known/openid-configuration':
        json(res, 200, this.discovery());
        return;
      case '/openid/connect/keys':
        json(res, 200, { keys: [this.jwk()] });
        return;
      case '/openid/connect/authorize':
        this.authorize(res, params);
        return;
      case '/openid/connect/authorize/decide':
        this.decide(res, params);
        return;
      case '/api/openid.connect.token':
        json(res, 200, this.token(params, req.headers.authorization));
        return;
      case '/api/openid.connect.userInfo':
        json(res, 200, this.userInfo(req.headers.authorization, params));
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    }
  }

  private discovery(): Record<string, unknown> {
    return {
      issuer: this.origin,
      authorization_endpoint: `${this.origin}/openid/connect/authorize`,
      token_endpoint: `${this.origin}/api/openid.connect.token`,
      userinfo_endpoint: `${this.origin}/api/openid.connect.userInfo`,
      jwks_uri: `${this.origin}/openid/connect/keys`,
      scopes_supported: ['openid', 'profile', 'email'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['sub', 'auth_time', 'iss'],
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: true,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      ...(this.advertisePkce ? { code_challenge_methods_supported: ['S256'] } : {}),
    };
  }

  private jwk(): Record<string, unknown> {
    const { n, e } = this.key.publicKey.export({ format: 'jwk' }) as { n: string; e: string };
    return { kty: 'RSA', n, e, kid: this.key.kid, alg: 'RS256', use: 'sig' };
  }

  /** Slack shows an error page (no redirect) for a bad client or redirect URL. */
  private authorize(res: ServerResponse, params: Record<string, string>): void {
    const app = this.apps.get(params.client_id ?? '');
    if (!app) {
      page(res, 400, 'invalid_client_id');
      return;
    }
    const redirectUri = params.redirect_uri ?? app.redirectUrls[0] ?? '';
    if (!app.redirectUrls.includes(redirectUri)) {
      page(res, 400, 'bad_redirect_uri');
      return;
    }
    if (params.response_type !== 'code') {
      page(res, 400, 'invalid_response_type');
      return;
    }
    if (!(params.scope ?? '').split(' ').includes('openid')) {
      page(res, 400, 'invalid_scope');
      return;
    }
    const consent: PendingConsent = {
      clientId: params.client_id ?? '',
      redirectUri,
      state: params.state,
      nonce: params.nonce,
      challenge: params.code_challenge_method === 'S256' ? params.code_challenge : undefined,
    };
    if (!this.consentPage) {
      this.redirectWithCode(res, consent);
      return;
    }
    const id = randomBytes(12).toString('hex');
    this.consents.set(id, consent);
    const who = this.person?.name ?? this.person?.userId ?? 'nobody';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Slack (test)</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 3rem auto">
<h1>Sign in to ticketbot</h1><p>The test Slack: you are signed in to Slack as <strong>${escapeHtml(who)}</strong>.
ticketbot would like to confirm your identity: your name, email address and Slack id.</p>
<form method="post" action="/openid/connect/authorize/decide"><input type="hidden" name="consent" value="${id}">
<button name="decision" value="allow" type="submit">Allow</button>
<button name="decision" value="cancel" type="submit">Cancel</button></form></body></html>`,
    );
  }

  private decide(res: ServerResponse, params: Record<string, string>): void {
    const consent = this.consents.get(params.consent ?? '');
    if (!consent) {
      page(res, 400, 'expired');
      return;
    }
    this.consents.delete(params.consent ?? '');
    if (params.decision !== 'allow') {
      const target = new URL(consent.redirectUri);
      target.searchParams.set('error', 'access_denied');
      if (consent.state) target.searchParams.set('state', consent.state);
      res.writeHead(302, { location: target.href }).end();
      return;
    }
    this.redirectWithCode(res, consent);
  }

  private redirectWithCode(res: ServerResponse, consent: PendingConsent): void {
    if (!this.person) {
      page(res, 400, 'not signed in to Slack');
      return;
    }
    const code = `${randomBytes(4).readUInt32BE()}.${randomBytes(24).toString('hex')}`;
    this.grants.set(code, {
      clientId: consent.clientId,
      redirectUri: consent.redirectUri,
      nonce: consent.nonce,
      person: this.person,
      challenge: consent.challenge,
      used: false,
      expiresAt: Date.now() + 10 * 60_000,
    });
    const target = new URL(consent.redirectUri);
    target.searchParams.set('code', code);
    if (consent.state) target.searchParams.set('state', consent.state);
    res.writeHead(302, { location: target.href }).end();
  }

  private token(params: Record<string, string>, authorization: string | undefined): Record<string, unknown> {
    let clientId = params.client_id;
    let secret = params.client_secret;
    const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (basic) {
      const [id, pass] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id ?? '');
      secret = decodeURIComponent(pass ?? '');
    }
    const app = this.apps.get(clientId ?? '');
    if (!app) return { ok: false, error: 'invalid_client_id' };
    if (secret !== app.secret) return { ok: false, error: 'bad_client_secret' };
    if (params.grant_type !== 'authorization_code') return { ok: false, error: 'invalid_grant_type' };
    const grant = this.grants.get(params.code ?? '');
    if (!grant || grant.clientId !== clientId || grant.expiresAt < Date.now()) {
      return { ok: false, error: 'invalid_code' };
    }
    if (grant.used) return { ok: false, error: 'invalid_code' };
    grant.used = true;
    if (grant.redirectUri !== undefined && params.redirect_uri !== grant.redirectUri) {
      return { ok: false, error: 'bad_redirect_uri' };
    }
    if (grant.challenge) {
      const verifier = params.code_verifier ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) {
        return { ok: false, error: 'invalid_grant' };
      }
    }
    const accessToken = `xoxp-${randomBytes(12).toString('hex')}`;
    this.accessTokens.set(accessToken, grant.person);
    return {
      ok: true,
      access_token: accessToken,
      token_type: 'Bearer',
      id_token: this.idToken(clientId ?? '', grant, accessToken),
    };
  }

  private idToken(clientId: string, grant: Grant, accessToken: string): string {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: this.origin,
      sub: grant.person.userId,
      aud: clientId,
      exp: now + 300,
      iat: now,
      auth_time: now,
      ...(grant.nonce ? { nonce: grant.nonce } : {}),
      at_hash: createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url'),
      ...this.profile(grant.person),
    };
    const header = { typ: 'JWT', alg: 'RS256', kid: this.key.kid };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const key = this.forgeNextIdToken ? this.foreignKey : this.key.privateKey;
    this.forgeNextIdToken = false;
    return `${signingInput}.${sign('sha256', Buffer.from(signingInput), key).toString('base64url')}`;
  }

  private profile(person: SlackPerson): Record<string, unknown> {
    return {
      'https://slack.com/team_id': person.teamId ?? this.ownTeamId,
      'https://slack.com/user_id': person.userId,
      email: person.email ?? `${person.userId.toLowerCase()}@example.com`,
      email_verified: true,
      date_email_verified: 1622128723,
      locale: 'en-US',
      name: person.name ?? person.userId,
      given_name: '',
      family_name: '',
      'https://slack.com/team_name': 'ticketbot test',
      'https://slack.com/team_domain': 'ticketbot-test',
    };
  }

  private userInfo(
    authorization: string | undefined,
    params: Record<string, string>,
  ): Record<string, unknown> {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? params.token;
    const person = token ? this.accessTokens.get(token) : undefined;
    if (!person) return { ok: false, error: 'invalid_auth' };
    return { ok: true, sub: person.userId, ...this.profile(person) };
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function page(res: ServerResponse, status: number, error: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`Slack: ${error}\n`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
