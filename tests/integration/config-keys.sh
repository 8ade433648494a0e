#!/bin/bash
# The documentation agrees with the binary: every key tradebotd knows
# (tradebotd --print-defaults, written from config.c's table) is in the
# shipped conf/tradebotd.ini with its default and described in
# tradebotd.ini(5) with its default, neither names a key the binary does
# not know, and tradebotd(8) gives the binary's default config path.
. "$(dirname "$0")/lib.sh"
BOT="$top_builddir/tradebotd"
CONF="$top_srcdir/conf/tradebotd.ini"
MAN5="$top_srcdir/man/tradebotd.ini.5"
MAN8="$top_builddir/man/tradebotd.8"
export LC_ALL=C
tab=$(printf '\t')

# ini FILE: "section.key<TAB>value" per key; comments and blanks dropped.
ini() {
	awk '
		{ sub(/[ \t]*[;#].*$/, ""); sub(/[ \t]+$/, "") }
		/^\[.*\]$/ { sec = substr($0, 2, length($0) - 2); next }
		/=/ {
			k = $0; sub(/[ \t]*=.*/, "", k)
			v = $0; sub(/^[^=]*=[ \t]*/, "", v)
			print sec "." k "\t" v
		}' "$1" | sort -t "$tab" -k1,1
}

# man5 FILE: "section.key<TAB>default" for each key named in the tag (the
# .B or .BR line after .TP) of a paragraph in a "[section]" part; "-"
# where the tag gives no default.
man5() {
	awk '
		/^\.SH / { sec = ""; if (match($0, /\[[a-z_]+\]/))
			sec = substr($0, RSTART + 1, RLENGTH - 2); next }
		{ tag = prev == ".TP"; prev = $0 }
		sec != "" && tag && /^\.BR? / {
			line = $0; sub(/^\.BR? /, "", line)
			n = 0
			while (line != "") {
				if (match(line, /^"[^"]*"/)) {
					tok[++n] = substr(line, RSTART, RLENGTH)
				} else if (match(line, /^[^ "]+/)) {
					tok[++n] = substr(line, RSTART, RLENGTH)
				} else {
					line = substr(line, 2); continue
				}
				line = substr(line, RLENGTH + 1)
			}
			for (i = 1; i <= n; i++) {
				if (tok[i] !~ /^[a-z_]+$/) continue
				d = "-"
				if (i < n && tok[i + 1] ~ /^" = /) {
					d = tok[i + 1]; sub(/^" = /, "", d); sub(/"$/, "", d)
				}
				print sec "." tok[i] "\t" d
			}
		}' "$1" | sort -u | sort -t "$tab" -k1,1
}

"$BOT" --print-defaults >"$T/defaults.ini" || fail "--print-defaults failed"
ini "$T/defaults.ini" >"$T/binary.tsv"
awk '/^\[/ { sec = substr($0, 2, length($0) - 2) }
	/ ; required$/ { k = $0; sub(/ =.*/, "", k); print sec "." k }' "$T/defaults.ini" >"$T/required"
[ -s "$T/binary.tsv" ] && pass "tradebotd --print-defaults lists $(wc -l <"$T/binary.tsv") keys" ||
	fail "no keys from --print-defaults"

ini "$CONF" >"$T/conf.tsv"
missing=$(join -t "$tab" -v1 <(cut -f1 "$T/binary.tsv") <(cut -f1 "$T/conf.tsv"))
unknown=$(join -t "$tab" -v2 <(cut -f1 "$T/binary.tsv") <(cut -f1 "$T/conf.tsv"))
eq "keys missing from conf/tradebotd.ini" "$(echo $missing)" ""
eq "keys in conf/tradebotd.ini the binary does not know" "$(echo $unknown)" ""
differ=$(join -t "$tab" "$T/binary.tsv" "$T/conf.tsv" | awk -F'\t' '$2 != $3 { print $1 " (binary: \"" $2 "\", conf: \"" $3 "\")" }')
eq "defaults differing in conf/tradebotd.ini" "$differ" ""

man5 "$MAN5" >"$T/man.tsv"
missing=$(join -t "$tab" -v1 <(cut -f1 "$T/binary.tsv") <(cut -f1 "$T/man.tsv"))
unknown=$(join -t "$tab" -v2 <(cut -f1 "$T/binary.tsv") <(cut -f1 "$T/man.tsv"))
eq "keys missing from tradebotd.ini(5)" "$(echo $missing)" ""
eq "keys in tradebotd.ini(5) the binary does not know" "$(echo $unknown)" ""
# A default the page gives must be the binary's; a key with a default
# must show it, unless it is required.
differ=$(join -t "$tab" "$T/binary.tsv" "$T/man.tsv" |
	awk -F'\t' 'NR == FNR { req[$1] = 1; next }
		($3 == "-" && $2 != "" && !($1 in req)) || ($3 != "-" && $2 != $3) {
			print $1 " (binary: \"" $2 "\", man: \"" $3 "\")" }' "$T/required" -)
eq "defaults differing in tradebotd.ini(5)" "$differ" ""

default=$("$BOT" --help | sed -n 's/.*configuration (default \(.*\))$/\1/p')
[ -n "$default" ] && grep -qF "$default" "$MAN8" && pass "tradebotd(8) gives the default config $default" ||
	fail "tradebotd(8) does not give the binary's default config ($default)"
! grep -q '@sysconfdir@' "$MAN8" && pass "tradebotd(8) substituted" || fail "@sysconfdir@ left in tradebotd(8)"
finish
