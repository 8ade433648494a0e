# lib.sh - helpers for the integration tests: a scratch directory, waiting
# on conditions (a trace record appears, a process exits) with a bound, and
# assertions on the trace.  Sourced by every tests/integration/*.sh.
set -u

: "${top_builddir:=$PWD}"  # run from the build directory
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
GS_TRACE="$top_builddir/gs-trace"
# The scratch directory lives in the build tree: nothing outside this
# build (another checkout's tests, a cleaner of /tmp) can remove it while
# a test runs.  make clean removes what failed tests kept.
mkdir -p "$top_builddir/test-tmp"
T=$(mktemp -d "$top_builddir/test-tmp/gs-it-XXXXXX")
PIDS=()
FAILS=0

cleanup() {
	# Only the test's own shell cleans up: a subshell killed by a test's
	# signal may run this trap too.
	[ "$BASHPID" = "$$" ] || return 0
	# Only children still running: the number of one reaped long ago may
	# belong to another test's process by now (pid_max is often 32768).
	local p live
	live=" $(jobs -pr | tr '\n' ' ') "
	for p in "${PIDS[@]}"; do
		case "$live" in
		*" $p "*) { kill -KILL "$p" && wait "$p"; } 2>/dev/null ;;
		esac
	done
	if [ "$FAILS" -eq 0 ]; then rm -rf "$T"; else echo "kept $T"; fi
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }

# check DESCRIPTION COMMAND...: pass if the command succeeds.
check() {
	local what=$1; shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

# eq DESCRIPTION GOT WANT
eq() {
	if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: got '$2', want '$3'"; fi
}

# wait_until SECONDS COMMAND...: poll the condition every 10 ms.
wait_until() {
	local limit=$1; shift
	local end=$(( $(date +%s%N) + limit * 1000000000 ))
	while ! "$@" 2>/dev/null; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.01
	done
}

# records FILE: the trace's complete records, one per line (a torn line,
# left by a crash mid-write, is skipped).
records() {
	[ -f "$1" ] || return 0
	jq -cR 'fromjson? // empty' "$1" 2>/dev/null
}

# has_record FILE EVENT [FROM STATE]: the trace holds such a record.
has_record() {
	[ -f "$1" ] || return 1
	if [ $# -ge 4 ]; then
		records "$1" | jq -se --arg e "$2" --arg f "$3" --arg s "$4" \
			'any(.[]; .event==$e and .from==$f and .state==$s)' >/dev/null
	else
		records "$1" | jq -se --arg e "$2" 'any(.[]; .event==$e)' >/dev/null
	fi
}

# ready_count FILE: how many runs reached READY (signals handled from then).
ready_count() {
	records "$1" | jq -c 'select(.event=="READY")' | wc -l
}

# count_records FILE JQ-FILTER: how many records match.
count_records() {
	records "$1" | jq -c "select($2)" | wc -l
}

# The state path of the last run: RUNNING>CANCELLING>...
state_path() {
	records "$1" | jq -rs '(map(select(.event=="START")) | last | .run) as $r
		| map(select(.run==$r and (.from != .state)) | .state) | join(">")'
}

# last_detail FILE EVENT KEY: a figure from the last such record.
last_detail() {
	records "$1" | jq -rs --arg e "$2" "map(select(.event==\$e)) | last | .detail.$3"
}

# wait_exit PID SECONDS: wait for the child and set RC to its exit code,
# or kill it at the bound and set RC to "timeout".  (Not in $(...): only
# this shell can wait for its children.)  The bound is a sleep of its own,
# ended with SIGKILL: a forked child of this shell that a catchable signal
# hits before it has exec'd runs this shell's EXIT trap (cleanup, and
# bash's "wait_for: No record of process" on the test's output).
wait_exit() {
	local pid=$1 limit=$2 dog first
	sleep "$limit" &
	dog=$!
	wait -n -p first "$pid" "$dog"
	RC=$?
	if [ "${first:-}" != "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid"
		RC=timeout
	fi
	kill -KILL "$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
	[ "$RC" != 137 ] || RC=timeout
}

# alive PID: the child still runs.
alive() { kill -0 "$1" 2>/dev/null; }

# pidfd_stop PID SECONDS [SIGNAL]: send the signal (TERM by default)
# through a pidfd and print the milliseconds from the signal to the end of
# the process (its exit, not this shell's wait), or -1 past SECONDS; see
# tests/pidfd-stop.c.
pidfd_stop() { "$top_builddir/pidfd-stop" "$@"; }

# stop_timed PID SECONDS [SIGNAL]: signal the child (TERM by default) and
# wait for it; sets RC as wait_exit does and MS to the milliseconds from
# the signal to the process's end, timed on a pidfd (pidfd_stop).
stop_timed() {
	MS=$(pidfd_stop "$1" "$2" "${3:-TERM}")
	wait_exit "$1" "$2"
	[ "$MS" != -1 ] || MS=$(($2 * 1000))
}

# The fault-injection shim (tests/fault/fault.c).  fault_env VAR=VALUE...
# prints the environment that preloads it, disarmed until fault_arm.
FAULT_SO="$top_builddir/.libs/libgsfault.so"
fault_env() {
	echo "LD_PRELOAD=$FAULT_SO"
	echo "GS_FAULT_TRIGGER=$T/fault.on"
	echo "GS_FAULT_LOG=$T/fault.log"
	# The shim comes before the sanitizer runtime; a forced _exit leaves
	# threads unjoined by design.
	echo "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
	# ThreadSanitizer sleeps 1 s at exit unless told not to.
	echo "TSAN_OPTIONS=${TSAN_OPTIONS:+$TSAN_OPTIONS:}report_thread_leaks=0:atexit_sleep_ms=0"
	[ $# -eq 0 ] || printf '%s\n' "$@"
}
fault_arm() { : >"$T/fault.on"; }
fault_disarm() { rm -f "$T/fault.on"; }
need_fault_shim() {
	[ -f "$FAULT_SO" ] || { echo "SKIP: no $FAULT_SO"; exit 77; }
}
# faults_applied WHAT: how many times the shim applied that fault.
faults_applied() {
	[ -f "$T/fault.log" ] || { echo 0; return; }
	grep -c " $1 " "$T/fault.log"
}

verify_trace() {
	"$GS_TRACE" verify "$1" >"$T/verify.out" 2>&1
}

finish() {
	# A sanitizer report from any process of the test (the simulator
	# included, whose exit code nobody checks) fails the test.
	if grep -lE "ERROR: AddressSanitizer|WARNING: ThreadSanitizer|runtime error:|ERROR: LeakSanitizer" \
		"$T"/*.log >/dev/null 2>&1; then
		fail "sanitizer report in $(grep -lE 'Sanitizer|runtime error:' "$T"/*.log | xargs -n1 basename | tr '\n' ' ')"
		grep -hE -A12 "ERROR: AddressSanitizer|WARNING: ThreadSanitizer|runtime error:|ERROR: LeakSanitizer" "$T"/*.log | head -40
	fi
	if [ "$FAILS" -ne 0 ]; then
		echo "$FAILS check(s) failed"
		exit 1
	fi
	exit 0
}

# A suite started under nohup passes SIGHUP on ignored, and the library
# keeps an inherited SIG_IGN on SIGHUP by design (what nohup asks for): a
# daemon under test is started with SIGHUP at its default action, so
# reload tests test reloads.  fault-signals.sh starts one under nohup.
SIGHUP_DEFAULT=(env --default-signal=HUP)
