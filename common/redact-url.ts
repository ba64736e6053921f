/**
 * The url with its password replaced by `***`, for logs, events, error messages and the API
 * (Redis and RTSP URLs carry credentials). The user name stays: it tells which account is used
 * without giving it away. Anything that does not parse as a URL still loses what looks like
 * `user:password@`. With `dropUser` the user name goes too (one-line source descriptions that end
 * up in events and error messages).
 */
export function redactUrl(url: string, options: { dropUser?: boolean } = {}): string {
  try {
    const parsed = new URL(url);
    if (options.dropUser && (parsed.username || parsed.password)) {
      parsed.username = '';
      parsed.password = '';
      return parsed.toString();
    }
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    if (options.dropUser) return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
    return url.replace(/\/\/([^/@:]*):[^@]*@/, '//$1:***@');
  }
}
