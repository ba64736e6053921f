import type { SourceConfig } from '../../config/schema.ts';
import { redactUrl } from '../../common/redact-url.ts';

/** A camera source as the API shows it: an RTSP URL's password replaced by ***. */
export function redactSource(source: SourceConfig): Record<string, unknown> {
  return source.type === 'rtsp' ? { ...source, url: redactUrl(source.url) } : { ...source };
}
