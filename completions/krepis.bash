# bash completion for krepis(1)
_krepis() {
  local cur prev words cword
  _init_completion || return
  local commands="run batch repl summarize tenants help"
  local common="--tenants --heap-mb --deadline-ms --json --color --help"
  if [[ $cword -eq 1 ]]; then
    COMPREPLY=($(compgen -W "$commands --help --version -V" -- "$cur"))
    return
  fi
  case $prev in
    --tenants) _filedir; return ;;
    --input) _filedir json; return ;;
    --module-root) _filedir -d; return ;;
    --resume) _filedir jsonl; return ;;
    --html) _filedir html; return ;;
    --out) _filedir -d; return ;;
    --report) COMPREPLY=($(compgen -W "stdout stderr none" -- "$cur")); _filedir; return ;;
    --tenant)
      local manifest=tenants.toml i
      for ((i = 1; i < cword; i++)); do
        [[ ${words[i]} == --tenants ]] && manifest=${words[i + 1]}
      done
      # Without a manifest krepis has one tenant, the built-in `default`.
      local ids=default
      [[ -r $manifest ]] && ids=$(sed -n 's/^\[tenants\.\([a-z0-9_-]*\)\].*/\1/p' "$manifest")
      COMPREPLY=($(compgen -W "$ids" -- "$cur"))
      return
      ;;
    --heap-mb | --deadline-ms | --jobs | --shards | -e | --eval) return ;;
    --shard) COMPREPLY=($(compgen -W "auto" -- "$cur")); return ;;
    --shard-by) COMPREPLY=($(compgen -W "jobs tenant" -- "$cur")); return ;;
    --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
  esac
  local options
  case ${words[1]} in
    run) options="$common --tenant --input --report -p --print -e --eval -m --module --module-root" ;;
    batch) options="$common --jobs --shard --shards --shard-by --html --failures-only -q --quiet -v --verbose --resume --out -m --module" ;;
    repl) options="$common --tenant --fresh -m --module --module-root" ;;
    summarize) options="--json --html --help" ;;
    tenants) options="$common" ;;
  esac
  if [[ ${words[1]} == help ]]; then
    [[ $cword -eq 2 ]] && COMPREPLY=($(compgen -W "run batch repl summarize tenants" -- "$cur"))
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
  elif [[ ${words[1]} == batch ]]; then
    _filedir -d
  elif [[ ${words[1]} == summarize ]]; then
    _filedir jsonl
  else
    _filedir js
  fi
} && complete -F _krepis krepis
