// Slack reads `&`, `<` and `>` as control characters in mrkdwn (`<!channel>`, `<@U123>`, links),
// so user text is escaped before it lands in a message, and cut to Block Kit's limits after
// escaping (the escaped form is what Slack counts), never inside an entity.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

export function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, (char) => ENTITIES[char] ?? char);
}

const ELLIPSIS = '…';

/** Cuts plain text to `max` characters (code points kept whole), ending with … when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const char of text) {
    if (out.length + char.length > max - ELLIPSIS.length) break;
    out += char;
  }
  return out + ELLIPSIS;
}

/** Escapes user text for mrkdwn and cuts the escaped form to `max` characters. */
export function escapeAndTruncate(text: string, max: number): string {
  const escaped = escapeMrkdwn(text);
  if (escaped.length <= max) return escaped;
  let out = '';
  for (const char of text) {
    const piece = ENTITIES[char] ?? char;
    if (out.length + piece.length > max - ELLIPSIS.length) break;
    out += piece;
  }
  return out + ELLIPSIS;
}

/** A Slack date token: every reader sees it in their own time zone, with `fallback` for old clients. */
export function slackDate(date: Date, fallback?: string): string {
  const seconds = Math.floor(date.getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${fallback ?? date.toISOString()}>`;
}
