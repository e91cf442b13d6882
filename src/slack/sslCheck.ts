import type { Express, Request } from 'express';

const BODY_LIMIT = 10 * 1024 * 1024;

/**
 * Slack's ssl_check (form body `ssl_check=1&token=…`) is not signed. Bolt's ExpressReceiver
 * verifies the signature before it looks for ssl_check and so answers 401; this reads the body
 * first, answers ssl_check with 200, and hands the raw body on to Bolt (it reads `req.rawBody`).
 */
export function answerSslCheck(app: Express, path: string): void {
  app.post(path, async (req, res, next) => {
    try {
      const raw = await readBody(req);
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

async function readBody(req: Request): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
