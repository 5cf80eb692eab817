// kubecdn sync DIR PREFIX: make the live files under PREFIX match DIR (tree/push.ts does the work).
import { Command, Option } from 'commander';
import type { Io } from '../output.js';
import { examples, runtime } from '../runtime.js';
import { withTreeOptions } from '../tree/options.js';
import { normalizePrefix } from '../tree/plan.js';
import { pushTree, type PushFlags } from '../tree/push.js';

/** --on-duplicate, shared with put -r. */
export const onDuplicateOption = (): Option =>
  new Option('--on-duplicate <mode>', 'content already stored under another name: link (write the name; the node stores it once, or refuses under DEDUP_POLICY=reject) or skip (create no name)')
    .choices(['link', 'skip'])
    .default('link');

export function syncCommand(io: Io): Command {
  return withTreeOptions(new Command('sync'))
    .description('upload the new and changed files of DIR under PREFIX (digests compared: unchanged files get no new version)')
    .argument('<dir>', 'a local directory')
    .argument('<prefix>', 'a name prefix, e.g. site/ ("site" means "site/"; "" is the whole store)')
    .option('--delete', 'give a delete marker to live files under PREFIX that are not in DIR (and that the filters keep)')
    .addOption(onDuplicateOption())
    .addHelpText(
      'after',
      examples([
        'kubecdn sync ./public site/',
        'kubecdn sync ./public site/ --delete --dry-run',
        'kubecdn sync ./public site/ --exclude "*.map" --exclude ".git/**" --parallel 8',
        'kubecdn sync ./public site/ --on-duplicate skip --json',
      ]),
    )
    .action(async (dir: string, prefix: string, flags: PushFlags, cmd: Command) => pushTree(runtime(cmd, io), dir, normalizePrefix(prefix), flags));
}
