// What the soak run knows it wrote, bounded: per name the newest versions the nodes confirmed (version -> sha256,
// null for a delete marker), and per digest how to make the content again. Reads are checked against it; a version
// confirmed twice with different content is a history conflict. Pure (no I/O), so it is unit-tested.
import type { ContentSpec } from './soakContent.js';

export type Fact = string | null;

export interface KnownLimits {
  /** newest versions kept per name */
  readonly versionsPerName: number;
  /** contents kept (oldest forgotten first) */
  readonly contents: number;
}

export const DEFAULT_LIMITS: KnownLimits = { versionsPerName: 64, contents: 50_000 };

export class Known {
  private readonly byName = new Map<string, Map<number, Fact>>();
  private readonly specs = new Map<string, ContentSpec>();
  /** committed digests, a ring of at most `limits.contents` */
  private readonly committedRing: string[] = [];
  private ringNext = 0;
  private readonly committedSet = new Set<string>();
  /** contents forgotten so far: once > 0, an unknown digest is "unverified" rather than wrong */
  forgotten = 0;

  constructor(private readonly limits: KnownLimits = DEFAULT_LIMITS) {}

  /** Remembers how to make a content the run is about to write. */
  remember(sha256: string, spec: ContentSpec): void {
    if (this.specs.has(sha256)) return;
    this.specs.set(sha256, spec);
    if (this.specs.size > this.limits.contents) {
      const oldest = this.specs.keys().next().value as string;
      this.specs.delete(oldest);
      this.forgotten++;
    }
  }

  spec(sha256: string): ContentSpec | undefined {
    return this.specs.get(sha256);
  }

  /**
   * The run wrote these bytes, under whichever spec made them first. Tiny contents repeat across kinds: a 1-byte
   * binary write can be the byte "3", which is also a whole text file. Asking for a text spec here made the soak
   * report a /read of the text "3" as "content the run never wrote" (run 2 of 2026-11-30: sha256 4e07408562be… is "3").
   */
  wrote(sha256: string): boolean {
    return this.specs.has(sha256);
  }

  /** A node confirmed `name` version `version` = `fact`; 'conflict' when it confirmed other content for it before. */
  confirm(name: string, version: number, fact: Fact): 'new' | 'same' | 'conflict' {
    let versions = this.byName.get(name);
    if (!versions) this.byName.set(name, (versions = new Map<number, Fact>()));
    if (fact !== null) this.markCommitted(fact);
    if (versions.has(version)) return versions.get(version) === fact ? 'same' : 'conflict';
    versions.set(version, fact);
    if (versions.size > this.limits.versionsPerName) versions.delete(Math.min(...versions.keys()));
    return 'new';
  }

  private markCommitted(sha256: string): void {
    if (this.committedSet.has(sha256)) return;
    const evicted = this.committedRing[this.ringNext];
    if (evicted !== undefined) this.committedSet.delete(evicted);
    this.committedRing[this.ringNext] = sha256;
    this.ringNext = (this.ringNext + 1) % this.limits.contents;
    this.committedSet.add(sha256);
  }

  isCommitted(sha256: string): boolean {
    return this.committedSet.has(sha256);
  }

  /** undefined: not known (never confirmed, or forgotten) */
  version(name: string, version: number): Fact | undefined {
    return this.byName.get(name)?.get(version);
  }

  /** The newest version confirmed for the name (0: none), and what it is. */
  latest(name: string): { version: number; fact: Fact | undefined } {
    const versions = this.byName.get(name);
    if (!versions || versions.size === 0) return { version: 0, fact: undefined };
    const version = Math.max(...versions.keys());
    return { version, fact: versions.get(version) };
  }

  /** A random known version of the name; `live` only: not a delete marker. */
  pickVersion(name: string, r: number, live = false): { version: number; fact: Fact } | undefined {
    const entries = [...(this.byName.get(name) ?? new Map<number, Fact>())].filter(([, f]) => !live || f !== null);
    const hit = entries[Math.floor(r * entries.length)];
    return hit ? { version: hit[0], fact: hit[1] } : undefined;
  }

  /** A random committed digest (undefined before the first commit). */
  pickCommitted(r: number): string | undefined {
    return this.committedRing[Math.floor(r * this.committedRing.length)];
  }

  /** Every name with its known versions, for the final audit. */
  names(): [string, ReadonlyMap<number, Fact>][] {
    return [...this.byName];
  }
}
