// kubecdn stat NAME [--version N]: one version's metadata (the latest by default), from the versions route so a
// deleted file still reports its delete marker instead of a bare 404.
import { Command } from 'commander';
import { CliError, EXIT } from '../errors.js';
import { formatBytes, notes } from '../format.js';
import { query, versionsPath } from '../names.js';
import { parseVersionArg } from '../options.js';
import type { Io } from '../output.js';
import { examples, runtime, type Runtime } from '../runtime.js';
import type { VersionRecord, VersionsPage } from '../types.js';

export function statCommand(io: Io): Command {
  return new Command('stat')
    .description('show the metadata of a file: version, size, SHA-256, type, when and where it was written')
    .argument('<name>', 'the file name')
    .option('--version <n>', 'a specific version instead of the latest', parseVersionArg)
    .addHelpText('after', examples(['kubecdn stat docs/readme.md', 'kubecdn stat docs/readme.md --version 1 --json']))
    .action(async (name: string, opts: { version?: number }, cmd: Command) => runStat(runtime(cmd, io), name, opts.version));
}

async function runStat(rt: Runtime, name: string, version: number | undefined): Promise<void> {
  // The cursor is exclusive ("versions below"), so version N is the first entry below N+1.
  const cursor = version === undefined ? undefined : version + 1;
  const page = await rt.client.json<VersionsPage>(versionsPath(name) + query({ limit: 1, cursor }), {
    ctx: { name, version },
  });
  const record = page.versions[0];
  if (record === undefined || (version !== undefined && record.version !== version)) {
    throw new CliError(EXIT.notFound, `"${name}" has no version ${version ?? 1}.`, 'version_not_found');
  }
  rt.out.result({ name, count: page.count, ...record }, () => describe(name, page.count, record));
}

function describe(name: string, count: number, r: VersionRecord): string {
  const rows: Array<[string, string]> = [
    ['name', name],
    ['version', `${r.version} of ${count}`],
  ];
  if (r.deleted) rows.push(['deleted', 'yes: this version is a delete marker (older versions stay readable)']);
  if (!r.deleted) {
    rows.push(['size', `${formatBytes(r.size)} (${r.size} bytes)`], ['sha256', r.sha256 ?? '-'], ['content type', r.contentType ?? '-']);
  }
  rows.push(['created', r.createdAt], ['node', r.node]);
  const n = notes(r);
  if (n !== '' && !r.deleted) rows.push(['notes', n]);
  return rows.map(([k, v]) => `${`${k}:`.padEnd(14)}${v}`).join('\n');
}
