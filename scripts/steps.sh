# Sourced by bootstrap.sh: runs build steps with their output in a log file and one line
# per step on the terminal; a failing step prints the log's last lines and stops.
#   NB_LOG=path/to.log; step "what it does" command args...
NB_LOG="${NB_LOG:-bootstrap.log}"

step() {
  local what="$1"
  shift
  local started=$SECONDS
  printf '%s ... ' "$what"
  {
    echo
    echo "=== $what: $*"
  } >>"$NB_LOG"
  if "$@" >>"$NB_LOG" 2>&1; then
    echo "ok ($((SECONDS - started)) s)"
  else
    local rc=$?
    echo "FAILED (exit $rc)"
    echo "--- last lines of $NB_LOG ---" >&2
    tail -n "${NB_LOG_TAIL:-40}" "$NB_LOG" >&2
    echo "--- full log: $NB_LOG ---" >&2
    exit "$rc"
  fi
}
