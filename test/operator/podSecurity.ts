// The Pod Security Standards' "restricted" profile, checked on a pod spec: what the PodSecurity admission of a
// namespace labelled enforce=restricted refuses (https://kubernetes.io/docs/concepts/security/pod-security-standards/).
// The real admission sees the node pods in test/k8s (a restricted namespace); this also covers Redis and the operator.

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  seccompProfile?: { type?: string };
  capabilities?: { add?: string[]; drop?: string[] };
}
interface Container {
  name: string;
  securityContext?: SecurityContext;
  ports?: { hostPort?: number }[];
}
export interface PodSpecLike {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Record<string, unknown>[];
}

const ALLOWED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const SECCOMP_OK = new Set(['RuntimeDefault', 'Localhost']);

type Check<T> = [violated: (x: T) => boolean, what: string];

const POD_CHECKS: Check<PodSpecLike>[] = [
  [(p) => p.hostNetwork === true || p.hostPID === true || p.hostIPC === true, 'host namespaces'],
  [(p) => p.securityContext?.runAsNonRoot === false, 'runAsNonRoot false'],
  [(p) => p.securityContext?.runAsUser === 0, 'runAsUser 0'],
  [(p) => !seccompOk(p.securityContext?.seccompProfile?.type ?? 'RuntimeDefault'), 'seccompProfile'],
];

const CONTAINER_CHECKS: Check<{ sc: SecurityContext; pod: SecurityContext; ports: Container['ports'] }>[] = [
  [({ sc }) => sc.privileged === true, 'privileged'],
  [({ sc }) => sc.allowPrivilegeEscalation !== false, 'allowPrivilegeEscalation must be false'],
  [({ sc, pod }) => (sc.runAsNonRoot ?? pod.runAsNonRoot) !== true, 'runAsNonRoot must be true'],
  [({ sc }) => sc.runAsUser === 0, 'runAsUser 0'],
  [({ sc, pod }) => !seccompOk(sc.seccompProfile?.type ?? pod.seccompProfile?.type), 'seccompProfile'],
  [({ sc }) => !(sc.capabilities?.drop ?? []).includes('ALL'), 'capabilities must drop ALL'],
  [({ sc }) => (sc.capabilities?.add ?? []).some((c) => c !== 'NET_BIND_SERVICE'), 'adds a capability'],
  [({ ports }) => (ports ?? []).some((p) => (p.hostPort ?? 0) !== 0), 'hostPort'],
];

function seccompOk(type: string | undefined): boolean {
  return type !== undefined && SECCOMP_OK.has(type);
}

/** Every way pod violates "restricted" (empty: it passes). */
export function restrictedViolations(pod: PodSpecLike): string[] {
  const out = POD_CHECKS.filter(([violated]) => violated(pod)).map(([, what]) => `pod: ${what}`);
  for (const v of pod.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type === undefined || !ALLOWED_VOLUMES.has(type)) out.push(`volume ${String(v.name)}: type ${type}`);
  }
  for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
    const input = { sc: c.securityContext ?? {}, pod: pod.securityContext ?? {}, ports: c.ports };
    for (const [violated, what] of CONTAINER_CHECKS) if (violated(input)) out.push(`container ${c.name}: ${what}`);
  }
  return out;
}
