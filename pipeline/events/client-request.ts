import { EmotionStreamError } from '../../common/errors.ts';

/**
 * What a WebSocket client may send: choose cameras. `cameras: ["*"]` means every camera.
 */
export interface ClientRequest {
  type: 'subscribe' | 'unsubscribe';
  cameras: string[];
}

/** Longest camera list a client may send at once; bounds work done for one message. */
const MAX_CAMERAS = 256;
const MAX_CAMERA_ID = 128;

/**
 * Parses one text frame from a client.
 * @throws EmotionStreamError ERR_BAD_MESSAGE with a message fit to send back to the client.
 */
export function parseClientRequest(text: string): ClientRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badMessage('message is not valid JSON', err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badMessage('message must be a JSON object');
  const { type, cameras, ...rest } = value as Record<string, unknown>;
  if (type !== 'subscribe' && type !== 'unsubscribe') {
    throw badMessage(`unknown message type ${JSON.stringify(type)}; expected "subscribe" or "unsubscribe"`);
  }
  const extra = Object.keys(rest);
  if (extra.length > 0) throw badMessage(`unexpected field(s): ${extra.join(', ')}`);
  return { type, cameras: parseCameras(cameras) };
}

function parseCameras(cameras: unknown): string[] {
  if (!Array.isArray(cameras) || cameras.length === 0 || cameras.length > MAX_CAMERAS) {
    throw badMessage(`"cameras" must be an array of 1..${MAX_CAMERAS} camera ids`);
  }
  for (const id of cameras) {
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_CAMERA_ID) {
      throw badMessage(`"cameras" entries must be non-empty strings of at most ${MAX_CAMERA_ID} characters`);
    }
  }
  return cameras as string[];
}

function badMessage(message: string, cause?: unknown): EmotionStreamError {
  return new EmotionStreamError('ERR_BAD_MESSAGE', message, { cause });
}
