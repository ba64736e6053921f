/**
 * One line of ffmpeg's stderr, as printed with `-loglevel level+info` and a `showinfo` filter:
 * - `frame`: showinfo saw a frame; `pts` is in the units of the last `timebase` line
 * - `timebase`: showinfo's input time base (printed when the filter graph is configured)
 * - `error`: an error/fatal-level message, prefixes removed
 * - `concealed`: a decoder hid damage instead of failing (h264's `concealing N DC, N AC, N MV
 *   errors`, ffmpeg's `corrupt decoded frame`): logged below error level, yet the picture is damaged
 * - `other`: anything else (stream banners, warnings, side data)
 */
export type FfmpegLogLine =
  | { type: 'frame'; n: number; pts: number | undefined }
  | { type: 'timebase'; num: number; den: number }
  | { type: 'error'; text: string }
  | { type: 'concealed'; text: string }
  | { type: 'other' };

const FRAME = /\[Parsed_showinfo_\d+ @ [^\]]+\]\s*(?:\[info\]\s*)?n:\s*(\d+)\s+pts:\s*(-?\d+|NOPTS)\b/;
const TIMEBASE = /\[Parsed_showinfo_\d+ @ [^\]]+\]\s*(?:\[info\]\s*)?config in time_base:\s*(\d+)\/(\d+)/;
const ERROR = /^(?:\[[^\]]* @ [^\]]+\]\s*)?\[(error|fatal|panic)\]\s*(.*)$/;
const CONCEALED = /^(?:\[[^\]]* @ [^\]]+\]\s*)?\[(?:warning|info)\]\s*((?:concealing \d+ DC|corrupt decoded frame).*)$/;

/**
 * Classifies a stderr line. The integer pts (not showinfo's `pts_time`, which is printed with
 * only six significant digits and loses milliseconds after ~17 minutes) together with the time
 * base gives exact presentation times, also for variable-frame-rate video.
 */
export function parseFfmpegLogLine(line: string): FfmpegLogLine {
  const frame = FRAME.exec(line);
  if (frame) return { type: 'frame', n: Number(frame[1]), pts: frame[2] === 'NOPTS' ? undefined : Number(frame[2]) };
  const timebase = TIMEBASE.exec(line);
  if (timebase) return { type: 'timebase', num: Number(timebase[1]), den: Number(timebase[2]) };
  const error = ERROR.exec(line);
  if (error) return { type: 'error', text: error[2].trim() };
  const concealed = CONCEALED.exec(line);
  if (concealed) return { type: 'concealed', text: concealed[1].trim() };
  return { type: 'other' };
}
