// Growing node volumes. A StatefulSet's volumeClaimTemplates cannot change, so the template keeps the size it was
// created with and the existing claims are patched instead, when their StorageClass allows expansion.
// Shrinking is impossible in Kubernetes: a smaller size is refused in the condition, never applied.
import type { ExpansionSupport, ObservedPvc } from './observed.js';
import { parseBytes } from './quantity.js';

export interface StoragePlan {
  /** Claims to patch to spec.storage.size. */
  readonly patches: readonly string[];
  readonly condition: { status: 'True' | 'False'; reason: string; message: string };
}

export function planStorage(wantSize: string, pvcs: readonly ObservedPvc[], expansion: ExpansionSupport): StoragePlan {
  const want = parseBytes(wantSize) ?? 0;
  const smaller = pvcs.filter((p) => (parseBytes(p.requested) ?? 0) < want);
  const larger = pvcs.filter((p) => (parseBytes(p.requested) ?? 0) > want);
  if (larger.length > 0) {
    return refuse('ShrinkNotSupported', `volumes cannot shrink: ${names(larger)} are larger than ${wantSize}`);
  }
  if (smaller.length > 0 && expansion !== 'allowed') {
    const why = expansion === 'forbidden' ? 'does not allow volume expansion' : 'could not be read';
    return refuse('ExpansionNotSupported', `the StorageClass ${why}: ${names(smaller)} stay below ${wantSize}`);
  }
  if (smaller.length > 0) {
    return {
      patches: smaller.map((p) => p.name),
      condition: { status: 'False', reason: 'Resizing', message: `expanding ${names(smaller)} to ${wantSize}` },
    };
  }
  const pending = pvcs.filter((p) => p.resizing || (p.capacity !== undefined && (parseBytes(p.capacity) ?? 0) < want));
  if (pending.length > 0) {
    return {
      patches: [],
      condition: { status: 'False', reason: 'Resizing', message: `waiting for ${names(pending)}` },
    };
  }
  return { patches: [], condition: { status: 'True', reason: 'Resized', message: `every node volume is ${wantSize}` } };
}

function refuse(reason: string, message: string): StoragePlan {
  return { patches: [], condition: { status: 'False', reason, message } };
}

function names(pvcs: readonly ObservedPvc[]): string {
  return pvcs.map((p) => p.name).join(', ');
}
