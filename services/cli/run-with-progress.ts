import type { PipelineConfig } from '../../config/schema.ts';
import { createLogger } from '../../pipeline/logger.ts';
import { runPipelineService } from '../pipeline-service.ts';
import type { PersonSummary, RunSummary } from '../../pipeline/run-stats.ts';
import { ProgressBar, formatDuration } from './progress-bar.ts';

/**
 * Runs the pipeline for a CLI command: a progress bar on a TTY (frames, fps, ETA), a short
 * human summary on stderr, the summary as JSON on stdout with --json. Exit code 1 when the
 * stream ended in error (e.g. a truncated file), after everything decodable was processed; with
 * `strict`, also when the source was damaged (frames that could not be decoded, see integrity).
 */
export async function runWithProgress(config: PipelineConfig, options: { json: boolean; explicitLogLevel: boolean; strict?: boolean }): Promise<number> {
  // The CLI speaks in one-line messages and a summary (which counts drops and faults); JSON log
  // lines would scroll the progress bar away and repeat what the summary says.
  const logger = createLogger({ name: 'emotion-stream', level: options.explicitLogLevel ? config.logLevel : 'error' });
  const bar = new ProgressBar();
  let total = 0;
  let frames = 0;
  const started = Date.now();
  const summary = await runPipelineService(config, {
    logger,
    onReady: ({ video, wsPort, modelVersion, backend }) => {
      total = video?.frameCount ?? Math.round(((video?.durationMs ?? 0) / 1000) * (video?.fps ?? 0));
      const ws = wsPort !== null ? `, events on ws://${config.output.websocket?.host}:${wsPort}${config.output.websocket?.path}` : '';
      process.stderr.write(`emotion-stream: model ${modelVersion} on ${backend}${ws}\n`);
    },
    onFrame: (msg) => {
      frames++;
      const secs = (Date.now() - started) / 1000;
      const fps = frames / Math.max(secs, 1e-3);
      const eta = total > 0 ? formatDuration((total - frames) / fps) : '?';
      bar.update(total > 0 ? frames / total : 0, `frame ${frames}${total ? `/${total}` : ''} ${fps.toFixed(1)} fps ETA ${eta} faces ${msg.faces.length}`);
    },
  });
  bar.done();
  const strictFailure = options.strict === true && summary.end?.reason !== 'error' && damageOf(summary) !== null;
  printSummary(summary, config, strictFailure);
  if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  return summary.end?.reason === 'error' || strictFailure ? 1 : 0;
}

/**
 * `person #3 0.0-12.4 s: happy 71%, neutral 29% (mostly happy, 310 frames)`: the shares above 5%;
 * `person #1 again (track #3) ...` for a person re-identified on a later track.
 */
export function formatPerson(p: PersonSummary): string {
  const shares = Object.entries(p.share).filter(([, v]) => v >= 0.05).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${Math.round(v * 100)}%`);
  const span = `${(p.firstSeenMs / 1000).toFixed(1)}-${(p.lastSeenMs / 1000).toFixed(1)} s`;
  // With re-identification a person may come back on a later track: name the person, then the track.
  const who = p.personId === undefined || p.personId === p.trackId ? `person #${p.trackId}` : `person #${p.personId} again (track #${p.trackId})`;
  return `${who} ${span}: ${shares.join(', ')} (mostly ${p.dominant}, ${p.frames} frames)`;
}

function printSummary(s: RunSummary, config: PipelineConfig, strictFailure: boolean): void {
  const lines = [
    `processed ${s.frames} frames in ${s.wallSeconds}s (${s.fps} fps), ${s.faces} faces in ${s.framesWithFaces} frames, ${s.dropped} dropped, ${s.faults} faults`,
  ];
  const labels = Object.entries(s.labels).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
  if (labels) lines.push(`labels: ${labels}`);
  for (const p of s.people) lines.push(formatPerson(p));
  if (config.output.annotatedVideo) lines.push(`annotated video: ${config.output.annotatedVideo} (${s.videoFrames} frames)`);
  if (config.output.eventsJsonl) lines.push(`events: ${config.output.eventsJsonl} (${s.events} events)`);
  const damage = damageOf(s);
  // --strict makes the damage the run's failure: then it is the last line, in the error-line form.
  if (damage && !strictFailure) lines.push(`warning: ${s.source ?? 'the source'} is damaged: ${damage} (every frame that could be decoded was processed)`);
  // Last, so it is the line left on screen: what failed, and how far the run got.
  if (s.end?.reason === 'error') lines.push(`error: ${s.source ?? 'the source'} ended early after ${s.frames} frames: ${s.end.error?.message} [${s.end.error?.code}]`);
  else if (strictFailure) lines.push(`error: ${s.source ?? 'the source'} is damaged: ${damage}; ${s.frames} frames processed (--strict) [ERR_SOURCE_DAMAGED]`);
  process.stderr.write(`${lines.map((l) => `emotion-stream: ${l}`).join('\n')}\n`);
}

/** `35 frames missing in 1 gap of presentation time, 12 decode errors`, or null for an intact source. */
export function damageOf(s: RunSummary): string | null {
  const i = s.integrity;
  if (!i || (i.decodeErrors === 0 && i.ptsGaps === 0)) return null;
  const parts: string[] = [];
  if (i.ptsGaps > 0) parts.push(`${i.framesMissing} frame${i.framesMissing === 1 ? '' : 's'} missing in ${i.ptsGaps} gap${i.ptsGaps === 1 ? '' : 's'} of presentation time`);
  if (i.decodeErrors > 0) parts.push(`${i.decodeErrors} decode error${i.decodeErrors === 1 ? '' : 's'}`);
  return parts.join(', ');
}
