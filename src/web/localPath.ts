/**
 * A path on this site to send someone back to, else `/`. Only `/…` that cannot be read as
 * another host: `//evil.example`, `/\evil.example` or a full URL would make an open redirect.
 */
export function localPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2000) return '/';
  return /^\/(?![/\\])[^\s\\]*$/.test(value) ? value : '/';
}
