// @kubernetes/client-node serializes every request body through its own models, and a key its model does not name is
// dropped. Those models mostly use the API's field names, but V1NetworkPolicyIngressRule calls `from` `_from` (a
// reserved word for its generator). The desired objects are written with the API's names (kubernetes-models), so a
// NetworkPolicy applied as it is lost every `from` and admitted every source (found by the end-to-end suite once the
// test cluster enforced NetworkPolicies). Among the kinds the operator applies, that rule is the only renamed field.
import type { AppliedObject } from '../desired/types.js';

type Json = Record<string, unknown>;

/** `obj` with the field names client-node's serializer reads: a NetworkPolicy's ingress rules' `from` as `_from`. */
export function toClientModel(obj: AppliedObject): AppliedObject {
  if (obj.kind !== 'NetworkPolicy' || obj.apiVersion !== 'networking.k8s.io/v1') return obj;
  const spec = obj.spec as Json | undefined;
  const ingress = spec?.ingress as Json[] | undefined;
  if (ingress === undefined) return obj;
  const renamed = ingress.map(({ from, ...rule }) => (from === undefined ? rule : { ...rule, _from: from }));
  return { ...obj, spec: { ...spec, ingress: renamed } };
}
