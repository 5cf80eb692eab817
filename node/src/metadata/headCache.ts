// name -> head, so a read costs no Redis round trip when nothing changed. Entries are trusted only while the
// Pub/Sub subscription is live: every notification drops its name, and any gap in the subscription drops all.
// A generation counter stops a slow Redis read from caching a head that an invalidation has since superseded.
import { LRUCache } from 'lru-cache';
import type { VersionRecord } from './types.js';

export interface HeadEntry {
  readonly record: VersionRecord | undefined;
  /** response headers for the latest version, computed once per head by the read path */
  headers?: Record<string, string>;
  /** the same as a flat [name, value, ...] list for writeHead, and its validators alone for a 304 */
  raw?: { readonly full: readonly string[]; readonly validators: readonly string[] };
}

export class HeadCache {
  private readonly entries: LRUCache<string, HeadEntry> | undefined;
  private generation = 0;
  private live = false;
  /**
   * @param trusted an extra condition for trusting entries: the cluster's head lease (cluster/coherence.ts); always
   * true standalone
   */
  constructor(
    maxEntries: number,
    private readonly trusted: () => boolean = () => true,
  ) {
    this.entries = maxEntries > 0 ? new LRUCache({ max: maxEntries }) : undefined;
  }

  /** Called when the subscription goes up or down. */
  setLive(live: boolean): void {
    this.live = live;
    this.clear();
  }

  get(name: string): HeadEntry | undefined {
    return this.live && this.trusted() ? this.entries?.get(name) : undefined;
  }

  /** The token to pass to `set` after reading Redis. */
  mark(): number {
    return this.generation;
  }

  set(name: string, entry: HeadEntry, mark: number): void {
    if (this.live && mark === this.generation && this.trusted()) this.entries?.set(name, entry);
  }

  invalidate(name: string): void {
    this.generation++;
    this.entries?.delete(name);
  }

  clear(): void {
    this.generation++;
    this.entries?.clear();
  }
}
