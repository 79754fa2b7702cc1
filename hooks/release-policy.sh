# release-policy: the logic the hook shims share. Sourced by hooks/pre-push, pre-commit,
# commit-msg and reference-transaction; POSIX sh, no process started on the fast path.
#
# A shim decides in shell whether the policy engine is needed at all and exits 0 at once when
# it is not: a push with no lines on stdin or touching no release tag while no release is
# blocked; a ref update that is not `prepared` or creates no release tag; a commit that stages
# no manifest or release-notes file while no release is blocked. Otherwise it hands git's
# arguments and stdin to `policy hook NAME`. What it reads, all written by the `policy` command:
#   <common git dir>/release-policy/state       one word, the journal's most restrictive status
#   <git dir>/release-policy/hooks.conf         this worktree's tag and path patterns, the CLI
# When a file is missing or older than what it derives from, the shim asks the engine.

rp_zero() { case $1 in *[!0]*) return 1 ;; esac; return 0; }

# This worktree's git directory (rp_gitdir) and the common one (rp_common), read from disk.
rp_dirs() {
  rp_gitdir=${GIT_DIR-}
  if [ -z "$rp_gitdir" ]; then
    if [ -d .git ]; then
      rp_gitdir=.git
    elif [ -f .git ]; then
      IFS= read -r rp_line < .git || :
      rp_gitdir=${rp_line#gitdir: }
    fi
  fi
  rp_common=${GIT_COMMON_DIR:-$rp_gitdir}
  if [ -z "${GIT_COMMON_DIR-}" ] && [ -n "$rp_gitdir" ] && [ -f "$rp_gitdir/commondir" ]; then
    IFS= read -r rp_line < "$rp_gitdir/commondir" || :
    case $rp_line in
      /*) rp_common=$rp_line ;;
      *) rp_common=$rp_gitdir/$rp_line ;;
    esac
  fi
}

# True (0) while a release is blocked, unknown, or published with its tag, push or closeout
# pending; also when the state cannot be read without the engine.
rp_blocked() {
  [ -n "$rp_common" ] || return 0
  rp_dir=$rp_common/release-policy
  [ -f "$rp_dir/journal.jsonl" ] || return 1
  [ -f "$rp_dir/state" ] || return 0
  [ "$rp_dir/journal.jsonl" -nt "$rp_dir/state" ] && return 0
  IFS= read -r rp_state < "$rp_dir/state" || :
  case $rp_state in
    idle | in-progress | closed | abandoned) return 1 ;;
  esac
  return 0
}

# Loads this worktree's settings (rp_policy, rp_cli, rp_node, rp_tags, rp_paths) when there
# are any; rp_fresh=1 when they are current (not older than the policy file or the command).
rp_load() {
  rp_fresh=0
  rp_policy= rp_cli= rp_node= rp_tags= rp_paths=
  [ -n "$rp_gitdir" ] || return 0
  rp_conf=$rp_gitdir/release-policy/hooks.conf
  [ -f "$rp_conf" ] || return 0
  . "$rp_conf"
  if [ -n "$rp_policy" ]; then
    [ "$rp_policy" -nt "$rp_conf" ] && return 0
  else
    [ -f release-policy.yml ] && return 0
    [ -f release-policy.yaml ] && return 0
  fi
  [ -n "$rp_cli" ] && [ "$rp_cli" -nt "$rp_conf" ] && return 0
  rp_fresh=1
}

rp_settings() { [ "$rp_fresh" = 1 ]; }

# rp_match TEXT PATTERNS: true when TEXT matches one of the newline-separated glob PATTERNS
# (rp_main turns pathname expansion off, so the patterns reach `case` as written).
rp_match() {
  rp_text=$1
  rp_found=1
  rp_mifs=$IFS
  IFS='
'
  for rp_glob in $2; do
    case $rp_text in
      $rp_glob) rp_found=0; break ;;
    esac
  done
  IFS=$rp_mifs
  return $rp_found
}

# rp_any CHECK LINES: true when CHECK holds for one of the newline-separated LINES, called
# with the line's space-separated fields as its arguments.
rp_any() {
  rp_check=$1
  rp_aifs=$IFS
  IFS='
'
  for rp_each in $2; do
    IFS=' '
    # shellcheck disable=SC2086 # split into fields on purpose
    set -- $rp_each
    if "$rp_check" "$@"; then
      IFS=$rp_aifs
      return 0
    fi
    IFS='
'
  done
  IFS=$rp_aifs
  return 1
}

# A pre-push line `<local ref> <local sha> <remote ref> <remote sha>` that touches a release
# tag, or moves any tag the remote has (a re-tag always goes to the engine).
rp_push_line() {
  case $3 in
    refs/tags/*)
      if ! rp_zero "$4" && ! rp_zero "$2"; then return 0; fi
      rp_match "${3#refs/tags/}" "$rp_tags"
      ;;
    *) return 1 ;;
  esac
}

# A reference-transaction line `<old> <new> <ref>` that creates or moves a release tag.
rp_transaction_line() {
  case $3 in
    refs/tags/*) ! rp_zero "$2" && rp_match "${3#refs/tags/}" "$rp_tags" ;;
    *) return 1 ;;
  esac
}

# A staged path that is a manifest or release notes (rp_any splits a line at spaces: rejoin).
rp_staged_path() { rp_match "$*" "$rp_paths"; }

# Reads the hook's stdin into rp_input, line by line, with no process started.
rp_read_input() {
  rp_input=
  while IFS= read -r rp_line || [ -n "$rp_line" ]; do
    rp_input="$rp_input$rp_line
"
  done
}

# Whether the engine must look at this hook call (0) or the shim may allow it (1).
rp_needed() {
  case $rp_hook in
    pre-push)
      [ -n "$rp_input" ] || return 1
      rp_blocked && return 0
      rp_settings || return 0
      rp_any rp_push_line "$rp_input"; return
      ;;
    reference-transaction)
      [ "$1" = prepared ] || return 1
      rp_settings || rp_tags='*'
      rp_any rp_transaction_line "$rp_input"; return
      ;;
    pre-commit | commit-msg)
      rp_blocked && return 0
      rp_settings || return 0
      [ -n "$rp_paths" ] || return 1
      rp_staged=$(git diff-index --cached --name-only HEAD 2>/dev/null) || return 0
      rp_any rp_staged_path "$rp_staged"; return
      ;;
  esac
  return 0
}

# Runs `policy hook NAME ARGS...` with the hook's stdin; the command is the one recorded at
# install, else the project's node_modules/.bin/policy, else `policy` on PATH.
rp_engine() {
  if [ -n "${rp_cli-}" ] && [ -f "$rp_cli" ]; then
    rp_bin=${rp_node:-node}
    [ -x "$rp_bin" ] || rp_bin=node
    set -- "$rp_bin" "$rp_cli" hook "$rp_hook" "$@"
  elif [ -x node_modules/.bin/policy ]; then
    set -- node_modules/.bin/policy hook "$rp_hook" "$@"
  elif command -v policy >/dev/null 2>&1; then
    set -- policy hook "$rp_hook" "$@"
  else
    echo "release-policy: the $rp_hook hook cannot find the \`policy\` command (not recorded by \`policy hooks install\`, not in node_modules/.bin, not on PATH)." >&2
    echo "  fix: install release-policy (npm install --save-dev release-policy), then run \`policy hooks install\` again" >&2
    return 1
  fi
  case $rp_hook in
    pre-push | reference-transaction) printf '%s' "$rp_input" | "$@" ;;
    *) "$@" ;;
  esac
}

# The hook that was installed before ours, kept by `policy hooks install` and run after it.
rp_chained() {
  rp_before=${rp_self:-$0}.before-release-policy
  [ -f "$rp_before" ] || return 0
  case $rp_hook in
    pre-push | reference-transaction) printf '%s' "$rp_input" | "$rp_before" "$@" ;;
    *) "$rp_before" "$@" ;;
  esac
}

# The whole hook: rp_hook names it; "$@" are git's arguments. Globbing stays off: patterns
# are matched with `case`, and no word the shim splits may expand to file names.
rp_main() {
  set -f
  # pre-push reads its stdin here; the reference-transaction shim has read its own, and the
  # commit hooks get none.
  rp_input=${rp_input-}
  [ "$rp_hook" = pre-push ] && rp_read_input
  rp_dirs
  rp_load
  if rp_needed "$@"; then
    rp_engine "$@" || exit $?
  fi
  rp_chained "$@"
}
