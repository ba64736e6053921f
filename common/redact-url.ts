/**
 * The url with its password replaced by `***`, for logs, events, error messages and the API
 * (Redis and RTSP URLs carry credentials). The user name stays: it tells which account is used
 * without giving it away. Anything that does not parse as a URL still loses what looks like
 * `user:password@`.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^/@:]*):[^@]*@/, '//$1:***@');
  }
}
