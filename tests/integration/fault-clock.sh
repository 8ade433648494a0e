#!/bin/bash
# The wall clock steps while the process waits: every timed wait runs on
# CLOCK_MONOTONIC, so a component's 300 ms wait (gs_cond_wait_until) stays
# 300 ms whether the clock jumps forward or back.  (The shim shifts every
# CLOCK_REALTIME read by the step from the start.)
. "$(dirname "$0")/example-common.sh"
need_fault_shim

# ms between START and FATAL by the trace's monotonic stamps
fatal_after_start() {
	records "$T/trace.jsonl" | jq -rs '(map(select(.event=="START")) | last | .mono_ns) as $r
		| (map(select(.event=="FATAL")) | last | .mono_ns) - $r | . / 1000000 | floor'
}

for step in -3000 3000; do
	rm -f "$T/trace.jsonl"
	example_conf ""
	fault_arm
	mapfile -t env_ < <(fault_env GS_FAULT_CLOCK_MS=$step)
	env "${env_[@]}" "$EXAMPLE" -c "$T/example.ini" --fatal-after-ms 300 2>>"$T/example.log" &
	EX_PID=$!
	PIDS+=("$EX_PID")
	wait_exit "$EX_PID" 20
	fault_disarm
	eq "clock step $step ms: FATAL's exit code" "$RC" 69
	ms=$(fatal_after_start)
	# 300 ms after the worker started (after START); a step of 3 s
	# would show as 3.3 s, or as no wait at all.
	[ "$ms" -ge 300 ] && [ "$ms" -lt 2900 ] && pass "clock step $step ms: FATAL $ms ms after START" ||
		fail "clock step $step ms: FATAL $ms ms after START"
done
finish
