import type { PipelineConfig } from '../../config/schema.ts';
import type { VideoSource } from './video-source.ts';

/** The config's source as capture takes it. */
export function toVideoSource(source: PipelineConfig['source']): VideoSource {
  switch (source.type) {
    case 'file': return { type: 'file', path: source.path };
    case 'webcam': return { type: 'webcam', device: source.device, width: source.width, height: source.height, fps: source.fps };
    case 'rtsp': return { type: 'rtsp', url: source.url, transport: source.transport };
  }
}
