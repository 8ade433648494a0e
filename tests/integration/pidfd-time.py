#!/usr/bin/env python3
"""pidfd-time.py PID SIGNAL LIMIT_S: time a process's end from a signal.

Opens a pidfd for PID, sends SIGNAL through it (a name such as TERM, or
"-" to send nothing), and polls the pidfd until the process has ended or
LIMIT_S seconds passed.  Prints the milliseconds from the signal to the
end on CLOCK_MONOTONIC, or "timeout" (exit 1).  The process's own end is
measured, not the shell's wait for it: a loaded machine that is slow to
run the test's shell does not stretch the figure.
"""
import os
import select
import signal
import sys
import time


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    pid, sig, limit = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    fd = os.pidfd_open(pid)
    start = time.monotonic_ns()
    if sig != "-":
        signal.pidfd_send_signal(fd, getattr(signal, "SIG" + sig))
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        left = limit * 1000 - (time.monotonic_ns() - start) / 1e6
        if left <= 0:
            print("timeout")
            return 1
        if poller.poll(left):
            break
    print((time.monotonic_ns() - start) // 1000000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
