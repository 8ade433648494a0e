#!/bin/bash
# Generate configure with autoreconf, keeping only what a person needs to
# read: warnings and errors, not the list of auxiliary files installed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(autoreconf -fi 2>&1) || { printf '%s\n' "$out" >&2; exit 1; }
printf '%s\n' "$out" |
	grep -Ev "^libtoolize: (putting|copying|linking|Consider|You should|Remember|and rerunning)|: installing '[^']*'\$|^\$" >&2 || true
