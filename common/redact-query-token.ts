/** `token=` and `access_token=` query parameters, whatever their case, up to the next `&` or `#`. */
const TOKEN_PARAM = /([?&](?:access_)?token=)[^&#]*/gi;

/**
 * A request target (`/path?query`) or URL with the value of every `token` (and `access_token`)
 * query parameter replaced by `***`, for logs: the WebSocket accepts `?token=` (browsers cannot
 * set headers there), so any URL a server logs may carry one. Works on the raw text, so a target
 * that does not parse as a URL is redacted too.
 */
export function redactQueryToken(target: string): string {
  return target.replace(TOKEN_PARAM, '$1***');
}
