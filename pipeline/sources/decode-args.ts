import { ffmpegInputArgs } from './ffmpeg-input-args.ts';
import type { VideoSource } from './video-source.ts';

/** decodeArgs split the way fluent-ffmpeg takes a command: options before `-i`, the input, options after. */
export interface DecodeCommand {
  inputOptions: string[];
  input: string;
  /** Ends with `-f rawvideo -pix_fmt bgr24`; the output itself is `pipe:1`. */
  outputOptions: string[];
}

/**
 * The ffmpeg command that decodes the first video stream of `source` to raw BGR24 frames of
 * exactly `width` x `height` on stdout, and logs one `showinfo` line per frame on stderr (its pts
 * and time base give each frame's true presentation time).
 *
 * - `-fps_mode passthrough`: one output frame per decoded frame with its own timestamp; a
 *   constant-rate muxer would otherwise duplicate frames, e.g. when the video starts late.
 * - the scale is always present so the frame size never changes mid-stream (an RTSP camera
 *   switching resolution would otherwise break frame splitting).
 * - `-loglevel level+info` tags every line with its level, so errors are told apart reliably.
 */
export function decodeCommand(source: VideoSource, size: { width: number; height: number }): DecodeCommand {
  // Live inputs: do not buffer ahead, a stale frame is worth less than a dropped one.
  const lowLatency = source.type === 'rtsp' ? ['-fflags', 'nobuffer', '-flags', 'low_delay'] : [];
  const inputArgs = ffmpegInputArgs(source);
  return {
    inputOptions: ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'level+info', ...lowLatency, ...inputArgs.slice(0, -2)],
    input: inputArgs[inputArgs.length - 1],
    outputOptions: [
      '-map', '0:v:0', '-an', '-sn', '-dn',
      '-vf', `showinfo=checksum=0,scale=${size.width}:${size.height}`,
      '-fps_mode', 'passthrough',
      '-f', 'rawvideo', '-pix_fmt', 'bgr24',
    ],
  };
}

/** The full ffmpeg argument list of decodeCommand, writing to stdout. */
export function decodeArgs(source: VideoSource, size: { width: number; height: number }): string[] {
  const { inputOptions, input, outputOptions } = decodeCommand(source, size);
  return [...inputOptions, '-i', input, ...outputOptions, 'pipe:1'];
}
