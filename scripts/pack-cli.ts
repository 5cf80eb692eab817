// npm run pack:cli [OUT_DIR]: the CLI alone as an npm package (kubecdn-cli, bin `kubecdn`), generated from this one
// root package rather than kept as a second source package. It holds the compiled dist/cli/src and a package.json
// whose dependencies are exactly the packages that code imports, with the root's version ranges; ioredis (only for
// `watch --redis`) is an optional peer. The build fails if the CLI imports anything outside dist/cli/src (node/
// server code would drag express and ioredis along) or a package the root does not declare.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = path.join(ROOT, 'dist/cli/src');
const OPTIONAL_PEERS = new Set(['ioredis']);
// the server's and the operator's: the CLI must never need them (ioredis only as the optional peer above)
const SERVER_ONLY = new Set(['express', 'pino', 'prom-client', '@kubernetes/client-node', 'lru-cache', 'mime-types', 'yaml']);

interface RootPackage {
  readonly version: string;
  readonly license: string;
  readonly engines: Record<string, string>;
  readonly dependencies: Record<string, string>;
}

// import/export ... from 'x', import 'x' (side effects only), import('x'): what tsc emits for ESM
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*\(?\s*['"]([^'"]+)['"]/g;

/** The package a bare specifier names ("@scope/pkg/sub" -> "@scope/pkg"), or undefined for node: and relative ones. */
export function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('node:') || spec.startsWith('/')) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Every package the compiled CLI imports; throws on a relative import that leaves dist/cli/src. */
function importsOf(dir: string): Set<string> {
  const packages = new Set<string>();
  for (const file of readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.js'))) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? '';
      const target = path.resolve(path.dirname(path.join(dir, file)), spec);
      if (spec.startsWith('.') && !target.startsWith(dir + path.sep)) {
        throw new Error(`dist/cli/src/${file} imports ${spec}, outside the CLI: the standalone package cannot carry it`);
      }
      const pkg = packageOf(spec);
      if (pkg !== undefined) packages.add(pkg);
    }
  }
  return packages;
}

function manifest(root: RootPackage, packages: ReadonlySet<string>): Record<string, unknown> {
  const range = (name: string): string => {
    if (SERVER_ONLY.has(name)) throw new Error(`the CLI imports ${name}, a server dependency: the standalone package must not carry it`);
    const r = root.dependencies[name];
    if (r === undefined) throw new Error(`the CLI imports ${name}, which the root package.json does not depend on`);
    return r;
  };
  const deps = [...packages].filter((p) => !OPTIONAL_PEERS.has(p)).sort();
  const peers = [...packages].filter((p) => OPTIONAL_PEERS.has(p)).sort();
  return {
    name: 'kubecdn-cli',
    version: root.version,
    description: 'Command-line client for kubecdn, a small CDN and versioned file store on Kubernetes',
    type: 'module',
    license: root.license,
    engines: root.engines,
    bin: { kubecdn: 'bin/kubecdn.js' },
    files: ['bin', 'dist'],
    dependencies: Object.fromEntries(deps.map((d) => [d, range(d)])),
    peerDependencies: Object.fromEntries(peers.map((p) => [p, range(p)])),
    peerDependenciesMeta: Object.fromEntries(peers.map((p) => [p, { optional: true }])),
  };
}

function main(outDir: string): void {
  const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as RootPackage;
  const stage = mkdtempSync(path.join(os.tmpdir(), 'kubecdn-cli-package-'));
  try {
    stagePackage(root, stage);
    mkdirSync(outDir, { recursive: true });
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], { cwd: stage, encoding: 'utf8' })) as Array<{ filename: string }>;
    process.stdout.write(`${path.join(outDir, packed[0]?.filename ?? '')}\n`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function stagePackage(root: RootPackage, stage: string): void {
  cpSync(SRC, path.join(stage, 'dist/cli/src'), { recursive: true, filter: (f) => !f.endsWith('.map') && !f.endsWith('.d.ts') });
  cpSync(path.join(ROOT, 'bin/kubecdn.js'), path.join(stage, 'bin/kubecdn.js'));
  cpSync(path.join(ROOT, 'docs/cli.md'), path.join(stage, 'README.md'));
  writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest(root, importsOf(SRC)), null, 2)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(path.resolve(process.argv[2] ?? path.join(ROOT, 'dist')));
