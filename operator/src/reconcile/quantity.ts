// Kubernetes byte quantities ("10Gi", "500M", "1.5Ti", "1073741824") to numbers, for comparing volume sizes.
const FACTORS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Bytes of a quantity, or undefined when it is not one (milli-units and exponents are not byte sizes). */
export function parseBytes(q: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(q.trim());
  if (m === null) return undefined;
  return Math.ceil(Number(m[1]) * FACTORS[m[2] ?? '']!);
}
