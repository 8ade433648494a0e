# example-common.sh - start gs-example with a generated config.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
EXAMPLE="$top_builddir/gs-example"

# example_conf EXTRA-INI: write $T/example.ini with the trace in $T.
example_conf() {
	cat >"$T/example.ini" <<INI
[trace]
path = $T/trace.jsonl
fsync = true
$1
INI
}

ready_after() {
	[ "$(count_records "$T/trace.jsonl" '.event=="READY"')" -gt "$1" ]
}

# ready_or_gone BEFORE PID: READY recorded, or the process is gone (no
# use waiting on).
ready_or_gone() { ready_after "$1" || ! alive "$2"; }

# example_start ARGS...: start in the background; sets EX_PID and waits
# for the READY record (all workers started, signals blocked).
example_start() {
	local before
	before=$(count_records "$T/trace.jsonl" '.event=="READY"')
	"${SIGHUP_DEFAULT[@]}" "$EXAMPLE" -c "$T/example.ini" "$@" 2>>"$T/example.log" &
	EX_PID=$!
	PIDS+=("$EX_PID")
	# A bound generous enough for a loaded machine (a condition, not a
	# sleep: it returns as soon as READY is on disk).
	wait_until 120 ready_or_gone "$before" "$EX_PID"
	if ! ready_after "$before"; then
		fail "gs-example did not become ready"
		cat "$T/example.log"
		finish
	fi
}

# A forced exit (FORCE, DEADLINE) ends the process with _exit while its
# finished workers are not joined, by design; ThreadSanitizer would report
# them as leaked threads.  Prefix such a run's example_start with this.
NOLEAK() {
	TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}report_thread_leaks=0" "$@"
}
