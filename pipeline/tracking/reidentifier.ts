import { cosineSimilarity } from './cosine-similarity.ts';

/** Settings of a {@link Reidentifier}. */
export interface ReidOptions {
  /** A person who left longer ago than this (ms, presentation time) is not looked for any more. */
  windowMs: number;
  /** Least cosine similarity between face embeddings for a new track to be a person seen before. */
  minSimilarity: number;
  /** Embeddings kept per track (the latest ones: how the person looked just before leaving). */
  keepPerTrack: number;
  /** How long (ms) after a look at an open track's face it is due another (see {@link Reidentifier.needsLook}). */
  refreshMs: number;
}

/** Who a new track is: a person seen before (their id, which track they left on, how alike). */
export interface Reidentified {
  personId: number;
  fromTrackId: number;
  similarity: number;
}

interface Person {
  personId: number;
  /** The track the person is on now, or left on. */
  trackId: number;
  /** Latest embeddings first. */
  embeddings: Float32Array[];
  /** When the latest embedding was taken (ms); unset until the face is first embedded. */
  lookedAtMs?: number;
  /** Set once the track ended: when the person was last seen. */
  leftAtMs?: number;
}

/**
 * Re-identification by face embedding, pure logic, one instance per stream: remembers how each
 * open track's face looks (its latest embeddings) and, once the track ends, for `windowMs` more;
 * a new track whose face is at least `minSimilarity` alike (cosine, best over the kept
 * embeddings) to a person who left is that person again. Track ids stay new (they are never
 * reused); the person id carries the identity: a new person's id is their first track's id.
 *
 * Invariants: a departed person is claimed by at most one new track (the first that matches);
 * only departed people are candidates (two open tracks are two people at once); time going
 * backwards never revives a person past the window.
 */
export class Reidentifier {
  /** By track id: open tracks and people who left, in the order their tracks started. */
  private readonly people = new Map<number, Person>();

  constructor(private readonly options: ReidOptions) {
    const { windowMs, minSimilarity, keepPerTrack, refreshMs } = options;
    if (!(windowMs >= 0) || !Number.isFinite(windowMs)) throw new RangeError(`windowMs must be >= 0, got ${windowMs}`);
    if (!(refreshMs >= 0) || !Number.isFinite(refreshMs)) throw new RangeError(`refreshMs must be >= 0, got ${refreshMs}`);
    if (!(minSimilarity > -1 && minSimilarity <= 1)) throw new RangeError(`minSimilarity must be in (-1, 1], got ${minSimilarity}`);
    if (!Number.isInteger(keepPerTrack) || keepPerTrack < 1) throw new RangeError(`keepPerTrack must be an integer >= 1, got ${keepPerTrack}`);
  }

  /**
   * A track started at tMs with this face: the person who left (within the window) that it most
   * resembles, or undefined for a new person (always so without an embedding). Either way the
   * track is remembered from now on.
   */
  start(trackId: number, embedding: Float32Array | undefined, tMs: number): Reidentified | undefined {
    if (this.people.has(trackId)) throw new Error(`track ${trackId} was started before`);
    this.forgetOlderThan(tMs);
    if (!embedding) {
      // Not looked at (e.g. its frame could not be embedded): a new person, looked at later.
      this.people.set(trackId, { personId: trackId, trackId, embeddings: [] });
      return undefined;
    }
    let best: { person: Person; similarity: number } | undefined;
    for (const person of this.people.values()) {
      if (person.leftAtMs === undefined) continue;
      const similarity = Math.max(...person.embeddings.map((e) => cosineSimilarity(e, embedding)));
      if (similarity >= this.options.minSimilarity && (!best || similarity > best.similarity)) best = { person, similarity };
    }
    if (!best) {
      this.people.set(trackId, { personId: trackId, trackId, embeddings: [embedding], lookedAtMs: tMs });
      return undefined;
    }
    const { person, similarity } = best;
    this.people.delete(person.trackId);
    this.people.set(trackId, { personId: person.personId, trackId, embeddings: [embedding, ...person.embeddings].slice(0, this.options.keepPerTrack), lookedAtMs: tMs });
    return { personId: person.personId, fromTrackId: person.trackId, similarity };
  }

  /** A later look (at tMs) at an open track's face: kept, the oldest let go past `keepPerTrack`. */
  see(trackId: number, embedding: Float32Array, tMs: number): void {
    const person = this.people.get(trackId);
    if (!person || person.leftAtMs !== undefined) return;
    person.embeddings = [embedding, ...person.embeddings].slice(0, this.options.keepPerTrack);
    person.lookedAtMs = tMs;
  }

  /**
   * Whether a face on this track should be embedded at tMs: a track not started yet, one whose
   * face was never embedded, or one last looked at `refreshMs` or more ago.
   */
  needsLook(trackId: number, tMs: number): boolean {
    const lookedAt = this.people.get(trackId)?.lookedAtMs;
    return lookedAt === undefined || tMs - lookedAt >= this.options.refreshMs;
  }

  /** The person on an open (or departed, still remembered) track. */
  personOf(trackId: number): number | undefined {
    return this.people.get(trackId)?.personId;
  }

  /** The track ended: its person is remembered as departed, last seen at lastSeenMs. */
  end(trackId: number, lastSeenMs: number): void {
    const person = this.people.get(trackId);
    if (person && person.leftAtMs === undefined) person.leftAtMs = lastSeenMs;
  }

  /** People remembered (open tracks and those who left within the window). */
  get size(): number {
    return this.people.size;
  }

  private forgetOlderThan(tMs: number): void {
    for (const [id, person] of this.people) {
      if (person.leftAtMs !== undefined && tMs - person.leftAtMs > this.options.windowMs) this.people.delete(id);
    }
  }
}
