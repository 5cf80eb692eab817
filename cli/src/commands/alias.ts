// kubecdn alias set|ls|rm: named servers and tokens in the config file (profiles.ts), like `mc alias`. Choose one
// with --alias NAME (-a) or KUBECDN_ALIAS; --server and --token still win over it.
import { text } from 'node:stream/consumers';
import { Command } from 'commander';
import { httpUrl, tokenSchema, type GlobalFlags } from '../config.js';
import { CliError, EXIT } from '../errors.js';
import { table } from '../format.js';
import { Output, type Io } from '../output.js';
import { aliasName, profilesFile, readProfiles, writeProfiles } from '../profiles.js';
import { examples } from '../runtime.js';

const out = (cmd: Command, io: Io): Output => new Output(cmd.optsWithGlobals<GlobalFlags>().json === true, io);

function valid<T>(schema: { safeParse: (v: unknown) => { success: true; data: T } | { success: false; error: { issues: Array<{ message: string }> } } }, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new CliError(EXIT.usage, `${what}: ${r.error.issues.map((i) => i.message).join('; ')}.`, 'invalid_config');
}

export function aliasCommand(io: Io): Command {
  const alias = new Command('alias')
    .description('named servers and tokens in the config file ($XDG_CONFIG_HOME/kubecdn/config.json, mode 0600)')
    .addHelpText(
      'after',
      examples([
        'kubecdn alias set prod https://cdn.example.com "$TOKEN"',
        'printf %s "$TOKEN" | kubecdn alias set prod https://cdn.example.com -   # keeps it out of ps',
        'kubecdn -a prod ls site/',
        'KUBECDN_ALIAS=prod kubecdn sync ./public site/',
        'kubecdn alias ls',
        'kubecdn alias rm prod',
      ]),
    );
  alias
    .command('set')
    .description('add or replace the alias NAME')
    .argument('<name>', 'the alias, e.g. prod')
    .argument('<url>', "the node's base URL")
    .argument('[token]', 'the write token ("-": read it from stdin); none for read-only use')
    .action(async (name: string, url: string, token: string | undefined, _opts: unknown, cmd: Command) => {
      const file = profilesFile(io.env);
      const raw = token === '-' ? (await text(io.stdin)).trim() : token;
      const profile = { url: valid(httpUrl, url, 'URL'), ...(raw === undefined ? {} : { token: valid(tokenSchema, raw, 'token') }) };
      const all = readProfiles(file);
      await writeProfiles(file, { ...all, [valid(aliasName, name, 'alias name')]: profile });
      out(cmd, io).result({ name, url: profile.url, hasToken: raw !== undefined, file }, () => `Alias ${name} -> ${profile.url} saved in ${file}`);
    });
  alias
    .command('ls')
    .description('list the aliases (tokens are never shown)')
    .action((_opts: unknown, cmd: Command) => {
      const file = profilesFile(io.env);
      const rows = Object.entries(readProfiles(file)).map(([name, p]) => ({ name, url: p.url, hasToken: p.token !== undefined }));
      out(cmd, io).result({ file, aliases: rows }, () =>
        rows.length === 0 ? `No aliases in ${file}.` : table(['ALIAS', 'TOKEN', 'URL'], rows.map((r) => [r.name, r.hasToken ? 'set' : '-', r.url])),
      );
    });
  alias
    .command('rm')
    .description('remove the alias NAME')
    .argument('<name>', 'the alias')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const file = profilesFile(io.env);
      const { [name]: gone, ...rest } = readProfiles(file);
      if (gone === undefined) throw new CliError(EXIT.notFound, `No alias "${name}" in ${file}.`, 'unknown_alias');
      await writeProfiles(file, rest);
      out(cmd, io).result({ name, removed: true }, () => `Alias ${name} removed from ${file}`);
    });
  return alias;
}
