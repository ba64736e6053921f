import { MQTT_PREFIX_PATTERN } from '../../config/schema.ts';

/**
 * The MQTT topic tree under one prefix (docs/mqtt.md):
 *   <prefix>/availability                          online | offline (retained; offline is the last will)
 *   <prefix>/<camera>/state                        the camera's state (retained)
 *   <prefix>/<camera>/events                       its events, one JSON object each
 *   <prefix>/<camera>/person/<trackId>/state       one person's stable emotion (retained, cleared when the track ends)
 * Names live here only, so the publisher, the docs' Home Assistant example and tests agree.
 */
export class MqttTopics {
  constructor(readonly prefix: string) {
    if (!isTopicPrefix(prefix)) throw new TypeError(`not a usable MQTT topic prefix: ${JSON.stringify(prefix)}`);
  }

  get availability(): string {
    return `${this.prefix}/availability`;
  }

  cameraState(cameraId: string): string {
    return `${this.prefix}/${topicLevel(cameraId)}/state`;
  }

  cameraEvents(cameraId: string): string {
    return `${this.prefix}/${topicLevel(cameraId)}/events`;
  }

  personState(cameraId: string, trackId: number): string {
    return `${this.prefix}/${topicLevel(cameraId)}/person/${trackId}/state`;
  }
}

/** Levels joined by "/", none empty, without the wildcards "+" and "#" (the rule config/schema.ts applies). */
export function isTopicPrefix(prefix: string): boolean {
  return MQTT_PREFIX_PATTERN.test(prefix);
}

/**
 * One topic level from an id. Camera ids are validated ([A-Za-z0-9_.-]) where they are configured,
 * but ids from the bus are not: a "/" or a wildcard would move the message to another topic or make
 * the publish fail, so they become "_".
 */
export function topicLevel(id: string): string {
  const level = id.replace(/[/#+\s\u0000]/g, '_');
  return level.length > 0 ? level : '_';
}
