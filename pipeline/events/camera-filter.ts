/** The wildcard camera id: every camera, including ones that start later. */
export const ALL_CAMERAS = '*';

/**
 * Which cameras one WebSocket client receives.
 *
 * Rules (documented in docs/events.md):
 * - no `?cameras=` and no subscribe yet: every camera;
 * - the first `subscribe` of such a client narrows it to the cameras named (choosing cameras is
 *   the point of subscribing), later ones add to the list;
 * - `unsubscribe` removes cameras; on an every-camera client it excludes them;
 * - `"*"` in a subscribe returns to every camera, in an unsubscribe stops everything.
 */
export class CameraFilter {
  /** Cameras received, or null for every camera not in `excluded`. */
  private only: Set<string> | null;
  private readonly excluded = new Set<string>();
  /** Whether the client has chosen its cameras; until then a subscribe narrows instead of adding. */
  private chosen: boolean;

  private constructor(only: Set<string> | null) {
    this.only = only;
    this.chosen = only !== null;
  }

  /** Builds the filter from the `cameras` query parameter (comma separated; absent or empty = every camera). */
  static fromQuery(value: string | null): CameraFilter {
    const ids = (value ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id.length > 0);
    if (ids.length === 0 || ids.includes(ALL_CAMERAS)) return new CameraFilter(null);
    return new CameraFilter(new Set(ids));
  }

  accepts(cameraId: string): boolean {
    return this.only === null ? !this.excluded.has(cameraId) : this.only.has(cameraId);
  }

  subscribe(cameras: readonly string[]): void {
    if (cameras.includes(ALL_CAMERAS)) {
      this.only = null;
      this.excluded.clear();
    } else if (this.only === null && !this.chosen) {
      this.only = new Set(cameras);
    } else if (this.only === null) {
      for (const id of cameras) this.excluded.delete(id);
    } else {
      for (const id of cameras) this.only.add(id);
    }
    this.chosen = true;
  }

  unsubscribe(cameras: readonly string[]): void {
    if (cameras.includes(ALL_CAMERAS)) {
      this.only = new Set();
      this.excluded.clear();
    } else if (this.only === null) {
      for (const id of cameras) this.excluded.add(id);
    } else {
      for (const id of cameras) this.only.delete(id);
    }
    this.chosen = true;
  }

  /** The filter as sent in a subscription reply: `cameras` is "*" or a sorted list. */
  describe(): { cameras: '*' | string[]; excluded: string[] } {
    return {
      cameras: this.only === null ? ALL_CAMERAS : [...this.only].sort(),
      excluded: [...this.excluded].sort(),
    };
  }
}
