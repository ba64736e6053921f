import { escapeXml } from './escape-xml.ts';

/**
 * An <img> holding an SVG as a base64 data URI. Embedding as an image (rather than inline <svg>)
 * keeps each chart's markup isolated from the page and from the other charts, and lets readers
 * save a chart on its own; base64 avoids any escaping question inside the URI.
 */
export function svgImageTag(svg: string, alt: string): string {
  const data = Buffer.from(svg, 'utf8').toString('base64');
  const size = /<svg[^>]*\swidth="(\d+(?:\.\d+)?)"[^>]*\sheight="(\d+(?:\.\d+)?)"/.exec(svg);
  const dims = size ? ` width="${size[1]}" height="${size[2]}"` : '';
  return `<img src="data:image/svg+xml;base64,${data}" alt="${escapeXml(alt)}"${dims} />`;
}
