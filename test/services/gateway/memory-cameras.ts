import { basename, extname } from 'node:path';
import { redactUrl } from '../../../common/redact-url.ts';
import { EmotionStreamError } from '../../../common/errors.ts';
import type { CameraController, CameraSpec, CameraState, CameraStatus } from '../../../pipeline/cameras/camera-types.ts';

/**
 * A CameraController that runs nothing: it keeps each camera's spec and status in a Map. It
 * stands in for the camera manager in HTTP API tests and records what the API asked for.
 */
export class MemoryCameras implements CameraController {
  private readonly cameras = new Map<string, { spec: CameraSpec; status: CameraStatus }>();
  /** Every spec add() received, in order (what the API passed on after validation). */
  readonly added: CameraSpec[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  list(): CameraStatus[] {
    return [...this.cameras.values()].map((c) => copy(c.status));
  }

  get(id: string): CameraStatus | undefined {
    const camera = this.cameras.get(id);
    return camera && copy(camera.status);
  }

  async add(spec: CameraSpec): Promise<CameraStatus> {
    if (this.cameras.has(spec.id)) {
      throw new EmotionStreamError('ERR_CONFLICT', `camera ${JSON.stringify(spec.id)} already exists`, { context: { cameraId: spec.id } });
    }
    this.added.push(spec);
    const status: CameraStatus = {
      id: spec.id,
      source: spec.source.type === 'rtsp' ? { ...spec.source, url: redactUrl(spec.source.url) } : { ...spec.source },
      state: 'connecting',
      since: this.now(),
      inFlight: 0,
      inputFps: 0,
      processedFps: 0,
      frames: 0,
      dropped: 0,
      reconnects: 0,
      lastError: null,
      latencyMs: null,
    };
    this.cameras.set(spec.id, { spec, status });
    return copy(status);
  }

  /** Nothing runs here, so nothing drains: a camera is forgotten at once (the API answers 204). */
  async remove(id: string): Promise<CameraStatus | undefined> {
    const camera = this.cameras.get(id);
    this.cameras.delete(id);
    return camera && { ...copy(camera.status), state: 'stopped' };
  }

  /** Moves a camera to a new state (as frames or failures would), so tests see more than `connecting`. */
  setState(id: string, state: CameraState, error?: { code: string; message: string }): void {
    const camera = this.cameras.get(id);
    if (!camera) throw new EmotionStreamError('ERR_NOT_FOUND', `no camera ${id}`);
    const at = this.now();
    camera.status = { ...camera.status, state, since: at, lastError: error ? { ...error, at } : camera.status.lastError };
    if (state === 'live') camera.status = { ...camera.status, inputFps: 25, processedFps: 24.5, frames: 250, latencyMs: { p50: 40, p95: 80, p99: 120, count: 250 } };
  }

  /** A startReplay for createHttpApi: a replay camera named after the file unless an id is given. */
  readonly startReplay = (req: { path: string; cameraId?: string; realtime?: boolean }): Promise<CameraStatus> =>
    this.add({
      id: req.cameraId ?? basename(req.path, extname(req.path)).replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64),
      source: { type: 'file', path: req.path },
      mode: 'replay',
      ...(req.realtime !== undefined && { realtime: req.realtime }),
    });
}

function copy(status: CameraStatus): CameraStatus {
  return structuredClone(status);
}
