import type { Express, Request, Response } from 'express';

/**
 * The most ticketbot reads before Slack's signature is checked. Slack's largest requests stay far
 * below it: a view_submission or block_actions of a 100-block modal carries at most about
 * 100 × 3,000 characters of text plus its state, and a message event up to 40,000 characters
 * (https://docs.slack.dev/reference/block-kit/blocks). Anything bigger is not from Slack.
 */
export const SLACK_BODY_LIMIT = 1024 * 1024;

/**
 * Slack's ssl_check (form body `ssl_check=1&token=…`) is not signed. Bolt's ExpressReceiver
 * verifies the signature before it looks for ssl_check and so answers 401; this reads the body
 * first, answers ssl_check with 200, and hands the raw body on to Bolt (it reads `req.rawBody`).
 */
export function answerSslCheck(app: Express, path: string): void {
  app.post(path, async (req, res, next) => {
    try {
      if (Number(req.headers['content-length'] ?? 0) > SLACK_BODY_LIMIT) return tooLarge(res);
      const raw = await readBody(req);
      if (!raw) return tooLarge(res);
      const form = req.headers['content-type'] === 'application/x-www-form-urlencoded';
      // Only a body that mentions ssl_check is parsed here; Bolt parses the rest itself.
      if (
        form &&
        raw.includes('ssl_check=') &&
        new URLSearchParams(raw.toString('utf8')).get('ssl_check') === '1'
      ) {
        res.status(200).send();
        return;
      }
      (req as Request & { rawBody?: Buffer }).rawBody = raw;
      next();
    } catch (error) {
      next(error);
    }
  });
}

/** The body, or undefined once it grows past SLACK_BODY_LIMIT (the rest is never read). */
async function readBody(req: Request): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > SLACK_BODY_LIMIT) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** 413, and the connection closed after it: what is left of the body is not worth reading. */
function tooLarge(res: Response): void {
  res.set('Connection', 'close').status(413).type('text/plain').send('Request body too large.\n');
}
