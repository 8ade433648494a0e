#!/bin/bash
# No kind of signal starves another, and nothing that blocks runs on the
# thread that takes termination signals:
#  - a SIGHUP storm (one per 300 ms) with a service manager that stopped
#    reading (every RELOADING=1 / READY=1 waits for room): SIGTERM still
#    ends the process by total_timeout_ms, cleanly;
#  - a reload that blocks (the configuration on a hung mount; a FIFO
#    stands in for it): SIGTERM is taken, the shutdown is clean;
#  - a repeat SIGTERM 100 ms after the first while the trace's fsync
#    stalls 1.1 s is the same request (judged by when it was sent), not a
#    second one: exit 0, not 143;
#  - stopped right after SIGTERM and continued past the total deadline:
#    70 with the DEADLINE record and the snapshot, every time, and the
#    EXIT record tells how long the cut CANCELLING ran.
# Times are the process's own, taken on a pidfd (stop_timed).
. "$(dirname "$0")/example-common.sh"

# ---- SIGHUP storm, stalled notify socket --------------------------------
"$top_builddir/notify-listen" --stalled "$T/stalled.sock" "$T/stalled.out" &
PIDS+=($!)
wait_until 5 grep -q "^full" "$T/stalled.out" ||
	fail "the stalled listener did not fill its queue"
example_conf "[shutdown]
on_sighup = reload
cancel_timeout_ms = 1000
close_timeout_ms = 1000
join_timeout_ms = 1000
total_timeout_ms = 4000
[log]
level = info"
NOTIFY_SOCKET="$T/stalled.sock" example_start --cancel-ms 200
hup_storm() {
	while kill -HUP "$1" 2>/dev/null; do sleep 0.3; done
}
hup_storm "$EX_PID" &
STORM=$!
PIDS+=("$STORM")
# Let the storm run: each reload now waits 2 x 250 ms on the socket.
wait_until 10 has_record "$T/trace.jsonl" SIGHUP RUNNING RUNNING ||
	fail "no reload under the storm"
stop_timed "$EX_PID" 20
kill "$STORM" 2>/dev/null; wait "$STORM" 2>/dev/null
eq "SIGHUP storm then SIGTERM: exit code" "$RC" 0
[ "$MS" != timeout ] && [ "$MS" -le 4000 ] &&
	pass "gone by total_timeout_ms = 4000 under the storm ($MS ms)" ||
	fail "SIGTERM under a SIGHUP storm: gone after $MS ms (total 4000)"
check "trace verifies" verify_trace "$T/trace.jsonl"

# ---- a reload that blocks: the configuration is a FIFO ------------------
rm -f "$T/trace.jsonl"
example_conf "[shutdown]
on_sighup = reload
cancel_timeout_ms = 1000
close_timeout_ms = 1000
join_timeout_ms = 1000
total_timeout_ms = 4000"
example_start --cancel-ms 200
# The file read at start is replaced by a FIFO no one writes: open()
# blocks, as on a hung mount.
rm "$T/example.ini" && mkfifo "$T/example.ini"
kill -HUP "$EX_PID"
# A thread of the process in openat(2) (257 on x86_64): the reload is blocked.
in_open() { grep -qs '^257 ' /proc/"$1"/task/*/syscall; }
wait_until 10 in_open "$EX_PID" || fail "no thread blocked opening the FIFO"
stop_timed "$EX_PID" 20
eq "blocked reload then SIGTERM: exit code" "$RC" 0
[ "$MS" != timeout ] && [ "$MS" -le 4000 ] &&
	pass "blocked reload: gone by total_timeout_ms ($MS ms)" ||
	fail "blocked reload: SIGTERM not acted on ($MS)"
check "SIGTERM taken" has_record "$T/trace.jsonl" SIGTERM RUNNING CANCELLING
eq "state path" "$(state_path "$T/trace.jsonl")" "RUNNING>CANCELLING>CLOSING>JOINING>EXIT"
check "trace verifies" verify_trace "$T/trace.jsonl"
rm -f "$T/example.ini"

# ---- a repeat SIGTERM while the trace's fsync stalls --------------------
need_fault_shim
rm -f "$T/trace.jsonl"
example_conf "[shutdown]
total_timeout_ms = 20000"
before=$(count_records "$T/trace.jsonl" '.event=="READY"')
mapfile -t FENV < <(fault_env GS_FAULT_SYNC=stall:1100 GS_FAULT_SYNC_PATH=trace.jsonl)
env "${FENV[@]}" "${SIGHUP_DEFAULT[@]}" "$EXAMPLE" -c "$T/example.ini" --cancel-ms 100 \
	2>>"$T/example.log" &
EX_PID=$!
PIDS+=("$EX_PID")
wait_until 120 ready_or_gone "$before" "$EX_PID" || fail "not ready"
fault_arm
kill -TERM "$EX_PID"
sleep 0.1 # the gap between the two signals: the scenario, not a wait
kill -TERM "$EX_PID"
wait_exit "$EX_PID" 40
fault_disarm
eq "repeat SIGTERM 100 ms after the first, fsync stalled: exit code" "$RC" 0
eq "no FORCE" "$(count_records "$T/trace.jsonl" '.event=="FORCE"')" 0
eq "the repeat refused as the same request" \
	"$(count_records "$T/trace.jsonl" '.event=="SIGTERM" and .detail.refused==true and (.detail.reason | test("duplicate_signal_ms"))')" 1
check "fsync was stalled" grep -q "fdatasync" "$T/fault.log"
check "trace verifies" verify_trace "$T/trace.jsonl"

# ---- stopped after SIGTERM, continued past the deadline (3 times) -------
for i in 1 2 3; do
	rm -f "$T/trace.jsonl" "$T/snapshot.json"
	example_conf "[shutdown]
cancel_timeout_ms = 1000
close_timeout_ms = 200
join_timeout_ms = 200
total_timeout_ms = 1500"
	NOLEAK example_start --hang-cancel --snapshot "$T/snapshot.json"
	kill -TERM "$EX_PID"
	wait_until 10 has_record "$T/trace.jsonl" SIGTERM RUNNING CANCELLING ||
		fail "run $i: no CANCELLING"
	kill -STOP "$EX_PID"
	sleep 3.5 # stopped 2 s past the 1.5 s deadline: the scenario itself
	kill -CONT "$EX_PID"
	wait_exit "$EX_PID" 20
	eq "run $i: stopped and continued past the deadline: exit code" "$RC" 70
	check "run $i: DEADLINE traced" has_record "$T/trace.jsonl" DEADLINE CANCELLING EXIT
	check "run $i: EXIT traced" has_record "$T/trace.jsonl" EXIT
	check "run $i: snapshot written" test -s "$T/snapshot.json"
	ms=$(last_detail "$T/trace.jsonl" EXIT phase_ms.cancelling)
	[ "${ms:-0}" -ge 1000 ] && pass "run $i: phase_ms.cancelling counts the cut phase ($ms)" ||
		fail "run $i: phase_ms.cancelling $ms after a CANCELLING cut at the deadline"
	check "run $i: trace verifies" verify_trace "$T/trace.jsonl"
done
finish
