/**
 * `oauthd-cli completion bash|zsh|fish`: a shell completion script, generated from the command
 * table itself (commands, subcommands, options, option values), so it never drifts from --help.
 * Provider ids change with the catalog and oauthd.json: the script asks for them at TAB time with
 * the hidden `oauthd-cli __complete providers`, which lists them without validating anything.
 */
import { readFile } from 'node:fs/promises';
import type { CommandUnknownOpts as Command, Option } from '@commander-js/extra-typings';
import type { Context } from '../context.js';
import { buildProgram } from '../program.js';
import { packageVersion } from '../version.js';
import { usageError } from '../../util/errors.js';

export type Shell = 'bash' | 'zsh' | 'fish';
export const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish'];

/** What a positional argument or an option value completes to. */
type ValueKind = 'provider' | 'file' | 'command' | 'any';
/** A positional argument: a kind, or `choices:a,b` (completion <shell>). */
type ArgumentWord = ValueKind | `choices:${string}`;

interface OptionSpec {
  names: string[];
  /** undefined: a flag without a value. */
  value: ValueKind | { choices: string[] } | undefined;
  description: string;
}

interface CommandSpec {
  /** Words after the program name: '' for the program, 'providers add' for a subcommand. */
  path: string;
  name: string;
  description: string;
  subcommands: CommandSpec[];
  options: OptionSpec[];
  args: ArgumentWord[];
  /** The last argument repeats (providers validate [files...]). */
  variadic: boolean;
}

/**
 * Positional arguments named like these complete to provider ids or files: the names the command
 * table already uses (login <provider>, providers show <id>, providers validate [files...]).
 */
const ARGUMENT_KINDS: Record<string, ValueKind> = { provider: 'provider', id: 'provider', files: 'file', file: 'file', command: 'command' };
/** Option values shown as <file> in the help complete to files. */
const FILE_VALUES = new Set(['file']);

export async function run(ctx: Context, shell: string): Promise<void> {
  if (!SHELLS.includes(shell as Shell)) throw usageError(`no completion for "${shell}"`, `choose one of: ${SHELLS.join(', ')}`);
  const program = buildProgram(packageVersion(), ctx, async () => undefined);
  ctx.stdout.write(completionScript(shell as Shell, program));
}

export function completionScript(shell: Shell, program: Command): string {
  const root = describeCommand(program, '', []);
  const name = program.name();
  if (shell === 'bash') return bashScript(name, root);
  if (shell === 'zsh') return zshScript(name, root);
  return fishScript(name, root);
}

/**
 * `oauthd-cli __complete providers`: the ids a provider argument accepts, one per line: the
 * sandbox, the catalog (your provider folders included) and the keysets of oauthd.json. Quiet and
 * forgiving: a missing or broken config only means fewer ids.
 */
export async function listIds(ctx: Context, what: string): Promise<void> {
  if (what !== 'providers') throw usageError(`cannot list "${what}"`, 'the completion scripts ask for: providers');
  const [{ catalogDirs, catalogIds }, { configPathFor }, { SANDBOX_ID }] = await Promise.all([
    import('../../providers/catalog.js'),
    import('../../config/load.js'),
    import('../../sandbox/spec.js'),
  ]);
  const ids = new Set<string>([SANDBOX_ID, ...(await catalogIds(catalogDirs(ctx)).catch(() => []))]);
  try {
    const config = JSON.parse(await readFile(configPathFor(ctx), 'utf8')) as { providers?: Record<string, unknown> };
    for (const id of Object.keys(config.providers ?? {})) ids.add(id);
  } catch {
    // no config, or not readable JSON: the catalog ids still help
  }
  ctx.stdout.write([...ids].sort().map((id) => `${id}\n`).join(''));
}

function describeCommand(command: Command, path: string, inherited: OptionSpec[]): CommandSpec {
  const help = command.createHelp();
  const own = help.visibleOptions(command).map(describeOption);
  // Options of the program (--config, --debug) are accepted after any subcommand; not --version.
  const options = [...own, ...inherited.filter((option) => !own.some((mine) => mine.names.some((n) => option.names.includes(n))))];
  const passedOn = [...inherited, ...own.filter((option) => !option.names.includes('--help') && !option.names.includes('--version'))];
  const args = command.registeredArguments.map((argument): ArgumentWord =>
    argument.argChoices ? `choices:${argument.argChoices.join(',')}` : (ARGUMENT_KINDS[argument.name()] ?? 'any'));
  const last = command.registeredArguments.at(-1);
  return {
    path,
    name: command.name(),
    description: summary(command.description()),
    subcommands: help
      .visibleCommands(command)
      .map((sub) => describeCommand(sub, path === '' ? sub.name() : `${path} ${sub.name()}`, passedOn)),
    options,
    args,
    variadic: last?.variadic ?? false,
  };
}

function describeOption(option: Option): OptionSpec {
  const names = [option.short, option.long].filter((name): name is string => name !== undefined);
  let value: OptionSpec['value'];
  if (option.required || option.optional) {
    const placeholder = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1] ?? '';
    value = option.argChoices ? { choices: [...option.argChoices] } : FILE_VALUES.has(placeholder) ? 'file' : 'any';
  }
  return { names, value, description: summary(option.description) };
}

/** The first line of a description, short enough for a completion menu. */
function summary(text: string): string {
  const line = text.split('\n')[0]?.trim() ?? '';
  return line.length > 90 ? `${line.slice(0, 89)}…` : line;
}

function allCommands(root: CommandSpec): CommandSpec[] {
  return [root, ...root.subcommands.flatMap(allCommands)];
}

function valueWord(value: OptionSpec['value']): string {
  if (value === undefined) return 'none';
  return typeof value === 'string' ? value : `choices:${value.choices.join(' ')}`;
}

/** One word per line of `case` branches: 'path|-o') echo 'kind' ;; */
function valueTable(root: CommandSpec, indent: string): string[] {
  const lines: string[] = [];
  for (const command of allCommands(root)) {
    for (const option of command.options) {
      if (option.value === undefined) continue;
      const patterns = option.names.map((name) => sh(`${command.path}|${name}`)).join('|');
      lines.push(`${indent}${patterns}) echo ${sh(valueWord(option.value))} ;;`);
    }
  }
  return lines;
}

function subcommandTable(root: CommandSpec, indent: string, entry: (sub: CommandSpec) => string): string[] {
  return allCommands(root)
    .filter((command) => command.subcommands.length > 0)
    .map((command) => `${indent}${sh(command.path)}) ${entry(command)} ;;`);
}

function argumentTable(root: CommandSpec, indent: string): string[] {
  return allCommands(root)
    .filter((command) => command.args.some((kind) => kind !== 'any'))
    .map((command) => `${indent}${sh(command.path)}) set -- "$2" ${command.variadic ? 1 : 0} ${command.args.join(' ')} ;;`);
}

/** POSIX shell single quotes (bash and zsh). */
function sh(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** fish single quotes: only \ and ' are escaped. */
function fish(text: string): string {
  return `'${text.replace(/[\\']/g, '\\$&')}'`;
}

/**
 * The part both bash and zsh share: tables as functions of the command path, and the walk over
 * the words typed so far (command path, index of the positional argument, --config given).
 */
function sharedFunctions(fn: string, root: CommandSpec): string {
  const v = fn.slice(1);
  return `${fn}_subcommands() {
  case "$1" in
${subcommandTable(root, '    ', (command) => `echo ${sh(command.subcommands.map((sub) => sub.name).join(' '))}`).join('\n')}
  esac
}

${fn}_options() {
  case "$1" in
${allCommands(root).map((command) => `    ${sh(command.path)}) echo ${sh(command.options.flatMap((option) => option.names).join(' '))} ;;`).join('\n')}
  esac
}

# What follows an option: none, any, file, or choices:A B
${fn}_option_value() {
  case "$1|$2" in
${valueTable(root, '    ').join('\n')}
    *) echo none ;;
  esac
}

# What the positional argument number $2 (from 0) of command $1 is: provider, file, command or any
${fn}_argument() {
  case "$1" in
${argumentTable(root, '    ').join('\n')}
    *) echo any; return ;;
  esac
  local position=$1 variadic=$2
  shift 2
  if (( position < $# )); then
    shift "$position"
    echo "$1"
  elif (( variadic && $# > 0 )); then
    eval "echo \\\${$#}"
  else
    echo any
  fi
}

# Sets ${v}_path, ${v}_position and ${v}_config from the words before the cursor.
${fn}_walk() {
  local word value skip=0 subs
  ${v}_path='' ${v}_position=0 ${v}_config=''
  for word in "$@"; do
    if (( skip )); then
      skip=0
      [[ $value == config ]] && ${v}_config=$word
      continue
    fi
    case "$word" in
      --*=*) ;;
      -?*)
        value=$(${fn}_option_value "$${v}_path" "$word")
        [[ $value != none ]] && skip=1
        [[ $word == --config ]] && value=config
        ;;
      *)
        subs=" $(${fn}_subcommands "$${v}_path") "
        if (( ${v}_position == 0 )) && [[ $subs == *" $word "* ]]; then
          ${v}_path=\${${v}_path:+$${v}_path }$word
        else
          ${v}_position=$(( ${v}_position + 1 ))
        fi
        ;;
    esac
  done
}

# The provider ids, from the CLI itself (the catalog and oauthd.json change; this script does not).
${fn}_providers() {
  command "$1" __complete providers \${2:+--config} \${2:+"$2"} 2>/dev/null
}
`;
}

function bashScript(name: string, root: CommandSpec): string {
  const fn = `_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
  const v = fn.slice(1);
  return `# bash completion for ${name}, generated by \`${name} completion bash\`.
# Load it now:      source <(${name} completion bash)
# Or for good:      ${name} completion bash > ~/.local/share/bash-completion/completions/${name}

${sharedFunctions(fn, root)}
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} value subs kind
  local ${v}_path ${v}_position ${v}_config
  ${fn}_walk "\${COMP_WORDS[@]:1:COMP_CWORD-1}"
  COMPREPLY=()

  if (( COMP_CWORD > 1 )) && [[ $prev == -?* && $prev != --*=* ]]; then
    value=$(${fn}_option_value "$${v}_path" "$prev")
    case "$value" in
      file) compopt -o filenames 2>/dev/null; COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
      choices:*) COMPREPLY=( $(compgen -W "\${value#choices:}" -- "$cur") ); return ;;
      any) return ;;
    esac
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=( $(compgen -W "$(${fn}_options "$${v}_path")" -- "$cur") )
    return
  fi
  subs=$(${fn}_subcommands "$${v}_path")
  if [[ -n $subs ]] && (( ${v}_position == 0 )); then
    COMPREPLY=( $(compgen -W "$subs" -- "$cur") )
    return
  fi
  kind=$(${fn}_argument "$${v}_path" "$${v}_position")
  case "$kind" in
    provider) COMPREPLY=( $(compgen -W "$(${fn}_providers "\${COMP_WORDS[0]}" "$${v}_config")" -- "$cur") ) ;;
    file) compopt -o filenames 2>/dev/null; COMPREPLY=( $(compgen -f -- "$cur") ) ;;
    choices:*) kind=\${kind#choices:}; COMPREPLY=( $(compgen -W "\${kind//,/ }" -- "$cur") ) ;;
    command)
      # help [command]: the commands beside it
      local parent=\${${v}_path%help}
      COMPREPLY=( $(compgen -W "$(${fn}_subcommands "\${parent% }")" -- "$cur") )
      ;;
  esac
}

complete -F ${fn} ${name}
`;
}

function zshScript(name: string, root: CommandSpec): string {
  const fn = `_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
  const v = fn.slice(1);
  const described = (entries: Array<{ names: string[]; description: string }>) =>
    entries.flatMap((entry) => entry.names.map((entryName) => sh(`${entryName.replace(/:/g, '\\:')}:${entry.description}`))).join(' ');
  return `#compdef ${name}
# zsh completion for ${name}, generated by \`${name} completion zsh\`.
# Load it now:      source <(${name} completion zsh)
# Or for good:      ${name} completion zsh > "\${fpath[1]}/_${name}"   (then start a new shell)

${sharedFunctions(fn, root)}
# Subcommands and options with their descriptions, as _describe takes them (name:description).
${fn}_described_subcommands() {
  case "$1" in
${subcommandTable(root, '    ', (command) => `reply=( ${described(command.subcommands.map((sub) => ({ names: [sub.name], description: sub.description })))} )`).join('\n')}
    *) reply=() ;;
  esac
}

${fn}_described_options() {
  case "$1" in
${allCommands(root).map((command) => `    ${sh(command.path)}) reply=( ${described(command.options)} ) ;;`).join('\n')}
    *) reply=() ;;
  esac
}

${fn}() {
  setopt localoptions noshwordsplit
  local cur=\${words[CURRENT]} prev=\${words[CURRENT-1]} value kind parent
  local ${v}_path ${v}_position ${v}_config
  local -a reply
  ${fn}_walk "\${(@)words[2,CURRENT-1]}"

  if (( CURRENT > 2 )) && [[ $prev == -?* && $prev != --*=* ]]; then
    value=$(${fn}_option_value "$${v}_path" "$prev")
    case "$value" in
      file) _files; return ;;
      choices:*) compadd -- \${=value#choices:}; return ;;
      any) _message 'value'; return ;;
    esac
  fi
  if [[ $cur == -* ]]; then
    ${fn}_described_options "$${v}_path"
    _describe -t options 'option' reply
    return
  fi
  ${fn}_described_subcommands "$${v}_path"
  if (( \${#reply} > 0 && ${v}_position == 0 )); then
    _describe -t commands 'command' reply
    return
  fi
  kind=$(${fn}_argument "$${v}_path" "$${v}_position")
  case "$kind" in
    provider) compadd -- \${(f)"$(${fn}_providers "\${words[1]}" "$${v}_config")"} ;;
    file) _files ;;
    choices:*) compadd -- \${(s:,:)kind#choices:} ;;
    command)
      parent=\${${v}_path%help}
      ${fn}_described_subcommands "\${parent% }"
      _describe -t commands 'command' reply
      ;;
  esac
}

# Autoloaded from $fpath, this file is the body of _${name}: complete now. Sourced: register.
if [[ $funcstack[1] == _${name} ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
}

function fishScript(name: string, root: CommandSpec): string {
  const fn = `__${name.replace(/[^A-Za-z0-9]/g, '_')}`;
  const commands = allCommands(root);
  const cases = (entries: Array<[patterns: string[], body: string]>) =>
    entries.map(([patterns, body]) => `        case ${patterns.map(fish).join(' ')}\n            ${body}`);
  const lines: string[] = [
    `# fish completion for ${name}, generated by \`${name} completion fish\`.`,
    `# Load it now:      ${name} completion fish | source`,
    `# Or for good:      ${name} completion fish > ~/.config/fish/completions/${name}.fish`,
    '',
    `function ${fn}_subcommands`,
    '    switch "$argv[1]"',
    ...cases(commands.filter((command) => command.subcommands.length > 0).map((command) => [[command.path], `echo ${command.subcommands.map((sub) => fish(sub.name)).join(' ')}`])),
    '    end',
    'end',
    '',
    '# What follows an option: none, any, file, or choices:A B',
    `function ${fn}_option_value`,
    '    switch "$argv[1]|$argv[2]"',
    ...cases(
      commands.flatMap((command) =>
        command.options
          .filter((option) => option.value !== undefined)
          .map((option): [string[], string] => [option.names.map((optionName) => `${command.path}|${optionName}`), `echo ${fish(valueWord(option.value))}`]),
      ),
    ),
    `        case '*'`,
    '            echo none',
    '    end',
    'end',
    '',
    '# The command path and the number of positional arguments typed before the cursor.',
    `function ${fn}_walk`,
    `    set -l path ''`,
    '    set -l position 0',
    '    set -l skip 0',
    '    for word in (commandline -opc)[2..-1]',
    '        if test $skip = 1',
    '            set skip 0',
    '            continue',
    '        end',
    '        switch $word',
    `            case '--*=*'`,
    `            case '-?*'`,
    `                if test (${fn}_option_value "$path" $word) != none`,
    '                    set skip 1',
    '                end',
    `            case '*'`,
    `                if test $position = 0; and contains -- $word (string split ' ' (${fn}_subcommands "$path"))`,
    '                    set path (string trim -- "$path $word")',
    '                else',
    '                    set position (math $position + 1)',
    '                end',
    '        end',
    '    end',
    '    echo $path',
    '    echo $position',
    'end',
    '',
    '# True when the words typed so far name command $argv[1] (and, with a second argument, no positional yet).',
    `function ${fn}_at`,
    `    set -l state (${fn}_walk)`,
    '    test "$state[1]" = "$argv[1]"; or return 1',
    '    test (count $argv) -lt 2; or test "$state[2]" = 0',
    'end',
    '',
    '# What the next positional argument is: provider, file, command, choices:A,B or any.',
    `function ${fn}_argument`,
    `    set -l state (${fn}_walk)`,
    '    set -l kinds',
    '    set -l variadic 0',
    '    switch "$state[1]"',
    ...commands
      .filter((command) => command.args.some((kind) => kind !== 'any'))
      .map((command) => `        case ${fish(command.path)}\n            set kinds ${command.args.map(fish).join(' ')}\n            set variadic ${command.variadic ? 1 : 0}`),
    '    end',
    '    set -l index (math $state[2] + 1)',
    '    if test $variadic = 1; and test (count $kinds) -gt 0; and test $index -gt (count $kinds)',
    '        set index (count $kinds)',
    '    end',
    '    if test $index -le (count $kinds)',
    '        echo $kinds[$index]',
    '    else',
    '        echo any',
    '    end',
    'end',
    '',
    `function ${fn}_wants`,
    `    string match -q -- $argv[1] (${fn}_argument)`,
    'end',
    '',
    '# The values of the next argument: the commands beside a `help`, or its choices.',
    `function ${fn}_argument_values`,
    `    set -l kind (${fn}_argument)`,
    '    if test "$kind" = command',
    `        set -l state (${fn}_walk)`,
    `        ${fn}_subcommands (string replace -r '\\s*help$' '' -- "$state[1]") | string split ' '`,
    '    else',
    `        string replace 'choices:' '' -- $kind | string split ,`,
    '    end',
    'end',
    '',
    '# The provider ids, from the CLI itself (the catalog and oauthd.json change; this script does not).',
    `function ${fn}_providers`,
    '    set -l words (commandline -opc)',
    '    set -l config',
    '    if set -l index (contains -i -- --config $words); and test $index -lt (count $words)',
    '        set config --config $words[(math $index + 1)]',
    '    end',
    `    command ${name} __complete providers $config 2>/dev/null`,
    'end',
    '',
    `complete -c ${name} -f`,
  ];
  for (const command of commands) {
    for (const sub of command.subcommands) {
      lines.push(`complete -c ${name} -n ${fish(`${fn}_at "${command.path}" first`)} -a ${fish(sub.name)} -d ${fish(sub.description)}`);
    }
    for (const option of command.options) {
      const flags = option.names.map((optionName) => (optionName.startsWith('--') ? `-l ${optionName.slice(2)}` : `-s ${optionName.slice(1)}`)).join(' ');
      let value = '';
      if (option.value === 'file') value = ' -r -F';
      else if (typeof option.value === 'object') value = ` -x -a ${fish(option.value.choices.join(' '))}`;
      else if (option.value !== undefined) value = ' -x';
      lines.push(`complete -c ${name} -n ${fish(`${fn}_at "${command.path}"`)} ${flags}${value} -d ${fish(option.description)}`);
    }
  }
  lines.push(
    `complete -c ${name} -n '${fn}_wants provider' -a '(${fn}_providers)'`,
    `complete -c ${name} -n '${fn}_wants file' -F`,
    `complete -c ${name} -n '${fn}_wants command; or ${fn}_wants "choices:*"' -a '(${fn}_argument_values)'`,
    '',
  );
  return lines.join('\n');
}
