# Sourced by the deploy scripts (not run on its own).
#
# process_running PID: the process exists and has not exited. `kill -0` alone also succeeds for
# a zombie — a process that has exited but whose parent has not collected it yet. The servers
# are started with nohup … & from a shell that exits, so init adopts them, and some inits (in
# containers and sandboxes) reap orphans only every second or two: measured here, ~2 s per
# stopped node during which `kill -0` still said "running".
process_running() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  # Field 3 of /proc/PID/stat is the state; the command name before it is in parentheses.
  state="$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 0
  [ "$state" != Z ]
}
