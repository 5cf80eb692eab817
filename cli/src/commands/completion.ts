// kubecdn completion bash|zsh: prints the completion script generated from this very command tree (completion.ts).
import { Argument, Command } from 'commander';
import { bashCompletion, zshCompletion } from '../completion.js';
import type { Io } from '../output.js';
import { examples } from '../runtime.js';

export function completionCommand(io: Io): Command {
  return new Command('completion')
    .description('print a shell completion script for bash or zsh')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .addHelpText(
      'after',
      examples([
        'source <(kubecdn completion bash)                 # now, in this shell',
        'kubecdn completion bash > ~/.local/share/bash-completion/completions/kubecdn',
        'echo "source <(kubecdn completion zsh)" >> ~/.zshrc',
      ]),
    )
    .action((shell: 'bash' | 'zsh', _opts: unknown, cmd: Command) => {
      const root = cmd.parent ?? cmd;
      io.stdout.write(shell === 'bash' ? bashCompletion(root) : zshCompletion(root));
    });
}
