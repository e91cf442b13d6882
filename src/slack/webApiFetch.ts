import { Agent, request } from 'undici';

/**
 * The `fetch` the Slack Web API client calls (its `fetch` option), made on undici's `request`
 * rather than on the global fetch. Same library underneath, without the WHATWG stream
 * machinery: about half the CPU per Slack call, which matters because each new ticket makes
 * two or three of them. Connections to Slack are kept alive and reused.
 *
 * Only what the client uses is supported: a POST (or GET) with a string or URLSearchParams body,
 * headers, an abort signal; the answer is a standard `Response` with the body fully read.
 * Redirects are not followed: the client treats anything but 200 and 429 as an error anyway.
 */
export function createWebApiFetch(): { fetch: typeof fetch; close(): Promise<void> } {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 16 });
  const webApiFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    if (input instanceof Request) throw new TypeError('webApiFetch takes a URL, not a Request');
    const body = init.body;
    if (
      body !== undefined &&
      body !== null &&
      typeof body !== 'string' &&
      !(body instanceof URLSearchParams)
    ) {
      // Multipart uploads (files.*) are not used by ticketbot: hand them to the real fetch.
      return fetch(input, init);
    }
    const answer = await request(input, {
      method: (init.method ?? 'GET') as 'GET' | 'POST',
      headers: init.headers as Record<string, string> | undefined,
      body: body === undefined || body === null ? undefined : String(body),
      signal: init.signal ?? undefined,
      dispatcher: agent,
    });
    const text = await answer.body.text();
    const headers = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (Array.isArray(value)) for (const item of value) headers.append(name, item);
      else if (value !== undefined) headers.set(name, value);
    }
    return new Response(answer.statusCode === 204 ? null : text, { status: answer.statusCode, headers });
  };
  return { fetch: webApiFetch as typeof fetch, close: () => agent.close() };
}
