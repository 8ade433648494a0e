#!/bin/bash
# make installcheck: as a third party would, build the installed examples
# against the installed library with "pkg-config --cflags --libs
# gshutdown" alone, run them, and check their exit codes and traces:
#   minimal        SIGTERM -> 0, trace verifies
#   queue-service  its own [queue] section: SIGTERM -> 0 with its START
#                  fields; a stuck consumer -> 75, named in JOINING; a bad
#                  [queue] value -> file:line and 78
# Environment: prefix libdir bindir docdir mandir (as configured) and DESTDIR
# (may be empty).  Used by tests/integration/install.sh too.
set -u
: "${DESTDIR:=}"
T=$(mktemp -d "${TMPDIR:-/tmp}/gs-installcheck-XXXXXX")
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }
finish() {
	if [ "$fails" -eq 0 ]; then rm -rf "$T"; else echo "kept $T"; fi
	exit $((fails > 0))
}

lib="$DESTDIR$libdir"
ex="$DESTDIR$docdir/examples"
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
flags=$(PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config \
	--define-variable=prefix="$DESTDIR$prefix" --cflags --libs gshutdown) ||
	{ fail "pkg-config knows gshutdown"; finish; }

for p in minimal queue-service; do
	[ -f "$ex/$p.c" ] || { fail "$ex/$p.c not installed"; continue; }
	# shellcheck disable=SC2086
	if cc -std=c11 -Wall -Wextra -Werror "$ex/$p.c" -o "$T/$p" $flags \
		-Wl,-rpath,"$lib" 2>"$T/$p.cc"; then
		pass "$p builds against the installed library"
	else
		fail "$p does not build"; cat "$T/$p.cc"
	fi
done

# The worked example of the installed libgshutdown(3) builds too.
man3="$DESTDIR$mandir/man3/libgshutdown.3"
if [ -f "$man3" ]; then
	awk '/^\.EX/ { n++; on = 1; next } /^\.EE/ { on = 0; next } on && n == 1' \
		"$man3" | sed 's/\\e/\\/g' >"$T/man-example.c"
	# shellcheck disable=SC2086
	cc -std=c11 -Wall -Werror "$T/man-example.c" -o "$T/man-example" $flags \
		-Wl,-rpath,"$lib" 2>"$T/man.cc" &&
		pass "libgshutdown(3)'s example builds" ||
		{ fail "libgshutdown(3)'s example does not build"; cat "$T/man.cc"; }
else
	fail "$man3 not installed"
fi

# wait_ready TRACE PID: until the run's READY record is on disk (a
# condition, polled), or the process is gone, or 20 s passed.
wait_ready() {
	local i
	for ((i = 0; i < 2000; i++)); do
		grep -q '"event":"READY"' "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

# run NAME INI: start, SIGTERM once READY, set RC.
run() {
	local pid
	"$T/$1" "$2" 2>"$T/$1.err" &
	pid=$!
	wait_ready "$3" "$pid" || fail "$1 never reported READY"
	kill -TERM "$pid"
	wait "$pid"
	RC=$?
}

verify() {
	if "$DESTDIR$bindir/gs-trace" verify "$1" >"$T/verify.out" 2>&1; then
		pass "$2: trace verifies"
	else
		fail "$2: trace does not verify"; cat "$T/verify.out"
	fi
}

if [ -x "$T/minimal" ]; then
	sed "s|^path = .*|path = $T/minimal.jsonl|" "$ex/minimal.ini" >"$T/minimal.ini"
	run minimal "$T/minimal.ini" "$T/minimal.jsonl"
	[ "$RC" = 0 ] && pass "minimal: SIGTERM -> 0" || fail "minimal: exit $RC, want 0"
	verify "$T/minimal.jsonl" minimal
	grep -q '"event":"START".*"service":"minimal"' "$T/minimal.jsonl" &&
		pass "minimal: START carries the application's field" ||
		fail "minimal: START without \"service\""
fi

if [ -x "$T/queue-service" ]; then
	q="$T/queue.ini"
	sed "s|^path = .*|path = $T/queue.jsonl|" "$ex/queue-service.ini" >"$q"
	run queue-service "$q" "$T/queue.jsonl"
	[ "$RC" = 0 ] && pass "queue-service: SIGTERM -> 0" ||
		fail "queue-service: exit $RC, want 0"
	verify "$T/queue.jsonl" queue-service
	start=$(grep '"event":"START"' "$T/queue.jsonl" | tail -1)
	case $start in
	*'"queue":"mail","mode":"at_least_once"'*) pass "queue-service: START fields" ;;
	*) fail "queue-service: START is $start" ;;
	esac
	case $start in
	*dry_run* | *tls_verify*) fail "START carries a trading daemon's fields" ;;
	*) pass "START carries nothing of tradebotd" ;;
	esac
	grep -q '"event":"PHASE_DONE","from":"CLOSING".*"broker_closed":true' "$T/queue.jsonl" &&
		pass "queue-service: its CLOSING figures traced" ||
		fail "queue-service: no CLOSING figures"

	# A consumer that never stops: named, and the process ends with 75.
	rm -f "$T/queue.jsonl"
	sed -e "s|^path = .*|path = $T/queue.jsonl|" -e 's|^stuck = false|stuck = true|' \
		"$ex/queue-service.ini" >"$q"
	run queue-service "$q" "$T/queue.jsonl"
	[ "$RC" = 75 ] && pass "queue-service: stuck consumer -> 75" ||
		fail "queue-service stuck: exit $RC, want 75"
	verify "$T/queue.jsonl" "queue-service stuck"
	grep '"state":"EXIT"' "$T/queue.jsonl" | grep -q '"exit_code":75' &&
		pass "queue-service: EXIT says 75" || fail "queue-service: EXIT record"
	grep -q '"from":"JOINING".*"stuck"' "$T/queue.jsonl" &&
		pass "queue-service: the stuck consumer is named" ||
		fail "queue-service: stuck consumer not named"

	# Its own section gets the library's strictness: file:line and 78.
	sed "s|^consumers = 3 .*|consumers = 99|" "$ex/queue-service.ini" >"$q"
	line=$(grep -n '^consumers' "$q" | cut -d: -f1)
	"$T/queue-service" "$q" 2>"$T/bad.err"
	RC=$?
	[ "$RC" = 78 ] && pass "queue-service: bad [queue] value -> 78" ||
		fail "queue-service bad value: exit $RC, want 78"
	grep -q "$q:$line: consumers: 99 is out of range (1 to 32)" "$T/bad.err" &&
		pass "queue-service: the error names file:line" ||
		{ fail "queue-service: error $(cat "$T/bad.err")"; }
	printf '[queue]\nconsumers = 2\n' >"$q"
	"$T/queue-service" "$q" 2>"$T/bad.err"
	RC=$?
	[ "$RC" = 78 ] && grep -q "$q:1: \[queue\] name is required" "$T/bad.err" &&
		pass "queue-service: a missing required key -> file:line and 78" ||
		fail "queue-service missing key: exit $RC, $(cat "$T/bad.err")"
fi
finish
