import { statSync } from 'node:fs';
import { EmotionStreamError, errorMessage, isEmotionStreamError, type ErrorCode } from '../../common/errors.ts';
import { describeSource } from './describe-source.ts';
import { ffmpegBinary } from './ffmpeg-binary.ts';
import { ffprobeFile, type ProbedFile } from './ffprobe-file.ts';
import { ffmpegInputArgs } from './ffmpeg-input-args.ts';
import { ffmpegReason } from './ffmpeg-reason.ts';
import { runProcess } from './run-process.ts';
import { sourceReason } from './source-reason.ts';
import type { VideoSource } from './video-source.ts';
import { webcamDevice } from './webcam-device.ts';

/** What capture needs to know about a source before decoding it. */
export interface VideoInfo {
  width: number;
  height: number;
  /** Average frame rate (frames per second); ffmpeg's default of 25 when the source does not say. */
  fps: number;
  /** Length of the video stream in milliseconds; absent for live sources. */
  durationMs?: number;
  /** Frames in the stream as the container indexes them; absent for live sources and some containers. */
  frameCount?: number;
}

export interface ProbeOptions {
  /** ffprobe executable (default: FFPROBE_PATH or `ffprobe` on PATH). */
  ffprobePath?: string;
  /** Give up after this long (default 20 s plus the RTSP socket timeout). */
  timeoutMs?: number;
}

interface ProbeJson {
  streams?: Array<Record<string, string | number | undefined>>;
  format?: Record<string, string | number | undefined>;
}

const FALLBACK_FPS = 25;

/**
 * Opens `source` with ffprobe and reads its first video stream.
 *
 * @throws ERR_SOURCE_NOT_FOUND "video file not found: <path>" when a file source does not exist.
 * @throws ERR_SOURCE_UNREADABLE when a file exists but cannot be opened as video (not a video,
 *   truncated beyond repair, no video stream); the message carries ffprobe's reason on one line.
 * @throws ERR_SOURCE_UNREACHABLE when a webcam device is absent ("webcam /dev/video0 not found")
 *   or a camera/stream cannot be opened or does not answer in time.
 * @throws ERR_FFMPEG_MISSING when ffprobe is not installed.
 */
export async function probeVideo(source: VideoSource, options: ProbeOptions = {}): Promise<VideoInfo> {
  preflight(source);
  const binary = ffmpegBinary('ffprobe', options.ffprobePath);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs(source);
  if (source.type === 'file') {
    try {
      return toVideoInfo(source, await ffprobeFile(source.path, binary, timeoutMs));
    } catch (err) {
      throw isEmotionStreamError(err) ? err : openError(source, errorMessage(err), err);
    }
  }
  // Cameras and streams can hang: runProcess can kill ffprobe on timeout, fluent-ffmpeg's ffprobe cannot.
  const args = [
    '-v', 'error',
    '-select_streams', 'v:0',
    '-show_entries', 'stream=width,height,avg_frame_rate,r_frame_rate,nb_frames,duration:format=duration',
    '-of', 'json',
    ...ffmpegInputArgs(source),
  ];
  const result = await runProcess(binary, args, { timeoutMs });
  if (result.timedOut) throw openError(source, `no answer within ${timeoutMs} ms`);
  if (result.code !== 0) throw openError(source, ffmpegReason(result.stderr) || `ffprobe exited with code ${result.code}`);
  return toVideoInfo(source, parseJson(source, result.stdout));
}

/** Fails fast, with the clearest message, on sources that plainly are not there. */
function preflight(source: VideoSource): void {
  if (source.type === 'file') {
    const stat = statSync(source.path, { throwIfNoEntry: false });
    if (!stat) {
      throw new EmotionStreamError('ERR_SOURCE_NOT_FOUND', `video file not found: ${source.path}`, { context: { path: source.path } });
    }
    if (!stat.isFile()) throw openError(source, 'not a regular file');
  }
  if (source.type === 'webcam' && (source.platform ?? process.platform) === 'linux') {
    const device = webcamDevice(source) ?? '/dev/video0';
    if (!statSync(device, { throwIfNoEntry: false })) {
      throw new EmotionStreamError('ERR_SOURCE_UNREACHABLE', `webcam ${device} not found`, { context: { device } });
    }
  }
}

function parseJson(source: VideoSource, stdout: string): ProbedFile {
  let json: ProbeJson;
  try {
    json = JSON.parse(stdout) as ProbeJson;
  } catch (cause) {
    throw openError(source, 'ffprobe printed unreadable output', cause);
  }
  return { stream: json.streams?.[0], format: json.format ?? {} };
}

function toVideoInfo(source: VideoSource, { stream, format }: ProbedFile): VideoInfo {
  const width = Number(stream?.width);
  const height = Number(stream?.height);
  if (!stream || !(width > 0) || !(height > 0)) throw openError(source, 'no video stream');
  const fps = parseRate(stream.avg_frame_rate) ?? parseRate(stream.r_frame_rate) ?? FALLBACK_FPS;
  const durationS = Number(stream.duration ?? format.duration);
  const frameCount = Number(stream.nb_frames);
  return {
    width,
    height,
    fps,
    ...(durationS > 0 ? { durationMs: durationS * 1000 } : {}),
    ...(Number.isInteger(frameCount) && frameCount > 0 ? { frameCount } : {}),
  };
}

/** "30000/1001" -> 29.97; undefined for "0/0" and other non-rates. */
function parseRate(value: string | number | undefined): number | undefined {
  const [num, den = '1'] = String(value ?? '').split('/');
  const rate = Number(num) / Number(den);
  return Number.isFinite(rate) && rate > 0 ? rate : undefined;
}

function openError(source: VideoSource, reason: string, cause?: unknown): EmotionStreamError {
  const described = describeSource(source);
  const code: ErrorCode = source.type === 'file' ? 'ERR_SOURCE_UNREADABLE' : 'ERR_SOURCE_UNREACHABLE';
  const what = source.type === 'file' ? `video file could not be opened: ${described}` : `${described} could not be opened`;
  return new EmotionStreamError(code, `${what}: ${sourceReason(source, reason)}`, { cause, context: { source: described } });
}

function defaultTimeoutMs(source: VideoSource): number {
  return 20_000 + (source.type === 'rtsp' ? (source.timeoutMs ?? 5000) : 0);
}
