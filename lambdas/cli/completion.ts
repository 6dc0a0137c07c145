import { COMMANDS, OPS, SHELLS, type Shell } from './args';
import { ROLLOUT_SUBCOMMANDS, SELECTABLE_STATUSES } from './rollout';
import { TENANT_STATUSES } from '../core/lifecycle';
import { TIERS } from '../core/tenant';

/** Flags offered after each command (the global ones are offered everywhere). */
const FLAGS: Record<string, string> = {
  create: '--tier --var --decommission-date --wait --timeout --interval',
  get: '--wait --timeout --interval',
  list: '--status --module-version --limit --all --include-deleted --next-token',
  update: '--tier --var --decommission-date --wait --timeout --interval',
  delete: '--yes --wait --timeout --interval',
  wait: '--timeout --interval',
  history: '--limit --all --next-token',
  logs: '--run',
  ops: '--dry-run',
  fleet: '',
  rollout:
    '--module-version --tier --tenant --status --max-concurrent --canary --max-failures ' +
    '--limit --all --next-token --wait --timeout --interval',
  completion: '',
};
const GLOBAL_FLAGS = '--endpoint --host-header --region --sigv4 --json --help --version';

function bash(): string {
  const cases = Object.entries(FLAGS)
    .map(([command, flags]) => `    ${command}) flags="${flags} ${GLOBAL_FLAGS}" ;;`)
    .join('\n');
  return `# tenantctl completion for bash: source <(tenantctl completion bash)
_tenantctl() {
  local cur prev command flags statuses
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  command="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${COMMANDS.join(' ')} help ${GLOBAL_FLAGS}" -- "$cur") )
    return
  fi
  case "$prev" in
    --tier) COMPREPLY=( $(compgen -W "${TIERS.join(' ')}" -- "$cur") ); return ;;
    --status)
      if [ "$command" = rollout ]; then statuses="${SELECTABLE_STATUSES.join(' ')}"; else statuses="${TENANT_STATUSES.join(' ')}"; fi
      COMPREPLY=( $(compgen -W "$statuses" -- "$cur") ); return ;;
  esac
  if [ "$COMP_CWORD" -eq 2 ]; then
    case "$command" in
      completion) COMPREPLY=( $(compgen -W "${SHELLS.join(' ')}" -- "$cur") ); return ;;
      ops) COMPREPLY=( $(compgen -W "${OPS.join(' ')}" -- "$cur") ); return ;;
      rollout) COMPREPLY=( $(compgen -W "${ROLLOUT_SUBCOMMANDS.join(' ')}" -- "$cur") ); return ;;
    esac
  fi
  case "$command" in
${cases}
    *) flags="${GLOBAL_FLAGS}" ;;
  esac
  COMPREPLY=( $(compgen -W "$flags" -- "$cur") )
}
complete -F _tenantctl tenantctl
`;
}

function zsh(): string {
  const cases = Object.entries(FLAGS)
    .map(([command, flags]) => `    ${command}) flags=(${flags} ${GLOBAL_FLAGS}) ;;`)
    .join('\n');
  return `#compdef tenantctl
# tenantctl completion for zsh: source <(tenantctl completion zsh)
_tenantctl() {
  local -a flags
  if (( CURRENT == 2 )); then
    compadd -- ${COMMANDS.join(' ')} help ${GLOBAL_FLAGS}
    return
  fi
  case "\${words[CURRENT-1]}" in
    --tier) compadd -- ${TIERS.join(' ')}; return ;;
    --status)
      if [[ \${words[2]} == rollout ]]; then compadd -- ${SELECTABLE_STATUSES.join(' ')}; else compadd -- ${TENANT_STATUSES.join(' ')}; fi
      return ;;
  esac
  if (( CURRENT == 3 )); then
    case "\${words[2]}" in
      completion) compadd -- ${SHELLS.join(' ')}; return ;;
      ops) compadd -- ${OPS.join(' ')}; return ;;
      rollout) compadd -- ${ROLLOUT_SUBCOMMANDS.join(' ')}; return ;;
    esac
  fi
  case "\${words[2]}" in
${cases}
    *) flags=(${GLOBAL_FLAGS}) ;;
  esac
  compadd -- $flags
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _tenantctl "$@"
else
  compdef _tenantctl tenantctl
fi
`;
}

/** A completion script for `source <(tenantctl completion bash|zsh)`. */
export function completionScript(shell: Shell): string {
  return shell === 'bash' ? bash() : zsh();
}
