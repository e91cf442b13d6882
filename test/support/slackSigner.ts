import { createHmac } from 'node:crypto';

// Signs requests exactly as Slack does (v0: HMAC-SHA256 over "v0:<timestamp>:<raw body>"), and
// sends them with Slack's own Content-Types: form bodies as exactly
// `application/x-www-form-urlencoded` (Bolt treats anything else as JSON), events as JSON.

export const FORM = 'application/x-www-form-urlencoded';

export function slackSignature(secret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export type SlackBody =
  | { form: Record<string, string> | string }
  | { interactive: unknown }
  | { json: unknown };

export function encodeBody(body: SlackBody): { raw: string; contentType: string } {
  if ('json' in body) return { raw: JSON.stringify(body.json), contentType: 'application/json' };
  if ('interactive' in body)
    return { raw: `payload=${encodeURIComponent(JSON.stringify(body.interactive))}`, contentType: FORM };
  const raw = typeof body.form === 'string' ? body.form : new URLSearchParams(body.form).toString();
  return { raw, contentType: FORM };
}

export interface SignOptions {
  /** Unix seconds; now by default. */
  timestamp?: number;
  /** Slack's retry headers (Events API). */
  retryNum?: number;
  /** Replace the computed signature (security tests). */
  signature?: string;
  /** Leave these headers out (security tests). */
  omit?: Array<'signature' | 'timestamp'>;
}

export function signedHeaders(
  secret: string,
  raw: string,
  contentType: string,
  options: SignOptions = {},
): Record<string, string> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': contentType };
  if (!options.omit?.includes('timestamp')) headers['x-slack-request-timestamp'] = String(timestamp);
  if (!options.omit?.includes('signature'))
    headers['x-slack-signature'] = options.signature ?? slackSignature(secret, timestamp, raw);
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  return headers;
}

/** POSTs a signed request to `url` (…/slack/events) and returns the status and body text. */
export async function postSigned(
  url: string,
  secret: string,
  body: SlackBody,
  options: SignOptions = {},
): Promise<{ status: number; text: string; json(): unknown }> {
  const { raw, contentType } = encodeBody(body);
  const response = await fetch(url, {
    method: 'POST',
    headers: signedHeaders(secret, raw, contentType, options),
    body: raw,
  });
  const text = await response.text();
  return { status: response.status, text, json: () => (text === '' ? undefined : JSON.parse(text)) };
}
