#!/bin/bash
# make install lays out the whole tree, and an outside program builds
# against the installed library with pkg-config alone and runs.
. "$(dirname "$0")/lib.sh"

if [ -n "${SAN_CFLAGS:-}" ]; then
	echo "skipped: a sanitizer build cannot link an outside program"
	exit 77
fi
root="$T/root"
make -s -C "$top_builddir" install DESTDIR="$root" >"$T/install.log" 2>&1 ||
	{ fail "make install"; cat "$T/install.log"; finish; }
for f in "$sbindir/tradebotd" "$bindir/exchange-sim" "$bindir/gs-trace" \
	"$includedir/gshutdown.h" "$libdir/pkgconfig/libgshutdown.pc" \
	"$sysconfdir/tradebotd.ini" "$sysconfdir/exchange-sim.ini" \
	"$mandir/man8/tradebotd.8" "$mandir/man5/tradebotd.ini.5" \
	"$mandir/man1/exchange-sim.1" "$mandir/man1/gs-trace.1" \
	"$mandir/man3/libgshutdown.3"; do
	check "installed $f" test -f "$root$f"
done
ls "$root$libdir"/libgshutdown.so* >/dev/null 2>&1 && pass "shared library installed" ||
	fail "no libgshutdown.so"
if [ -n "${systemdsystemunitdir:-}" ]; then
	check "systemd unit installed" test -f "$root$systemdsystemunitdir/tradebotd.service"
	grep -q "^ExecStart=$sbindir/tradebotd -c $sysconfdir/tradebotd.ini" \
		"$root$systemdsystemunitdir/tradebotd.service" &&
		pass "unit runs the installed daemon" || fail "ExecStart wrong"
fi

# A second install keeps the configurations an operator edited and puts
# the shipped ones beside them as .dist.
for f in tradebotd.ini exchange-sim.ini; do
	printf '; edited by the operator\n' >>"$root$sysconfdir/$f"
done
make -s -C "$top_builddir" install DESTDIR="$root" >"$T/install2.log" 2>&1 ||
	{ fail "make install again"; cat "$T/install2.log"; finish; }
for f in tradebotd.ini exchange-sim.ini; do
	eq "reinstall keeps the edited $f" \
		"$(tail -1 "$root$sysconfdir/$f")" "; edited by the operator"
	check "the shipped $f beside it as $f.dist" \
		cmp -s "$top_srcdir/conf/$f" "$root$sysconfdir/$f.dist"
done
make -s -C "$top_builddir" uninstall DESTDIR="$root" >"$T/uninstall.log" 2>&1 ||
	{ fail "make uninstall"; cat "$T/uninstall.log"; }
check "uninstall keeps the edited tradebotd.ini" test -f "$root$sysconfdir/tradebotd.ini"
check "uninstall removes tradebotd.ini.dist" test ! -e "$root$sysconfdir/tradebotd.ini.dist"
make -s -C "$top_builddir" install DESTDIR="$root" >"$T/install3.log" 2>&1 ||
	{ fail "make install a third time"; cat "$T/install3.log"; finish; }

cat >"$T/ext.c" <<'C'
#include <gshutdown.h>
#include <stdio.h>
int main(void)
{
	enum gs_state s;
	if (gs_fsm_next(GS_STATE_RUNNING, GS_EV_SIGTERM, &s) != 0)
		return 1;
	printf("%s\n", gs_state_name(s));
	return 0;
}
C
pc="$root$libdir/pkgconfig"
flags=$(PKG_CONFIG_PATH="$pc" pkg-config --define-variable=prefix="$root$prefix" \
	--cflags --libs libgshutdown) || fail "pkg-config knows libgshutdown"
cc -Wall -Werror "$T/ext.c" -o "$T/ext" $flags -Wl,-rpath,"$root$libdir" &&
	pass "an outside program builds with pkg-config" || fail "outside build"
eq "and runs against the installed library" "$("$T/ext")" CANCELLING

# The public surface: only gs_ names exported, no unprefixed macro in the
# installed header, which speaks for itself; the programs of the project
# use it alone.
so=$(ls "$root$libdir"/libgshutdown.so.* | head -1)
other=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^gs_' | tr '\n' ' ')
eq "the library exports only gs_ names" "$other" ""
macros=$(grep -E '^#[[:space:]]*define[[:space:]]+' "$root$includedir/gshutdown.h" |
	awk '{print $2}' | grep -vE '^(GS_|GSHUTDOWN_H)' | tr '\n' ' ')
eq "the header defines only GS_ macros" "$macros" ""
grep -q DESIGN "$root$includedir/gshutdown.h" && fail "the header refers to DESIGN" ||
	pass "the header needs no other file"
uses=$(grep -l 'internal\.h' "$top_srcdir"/src/bot/*.[ch] "$top_srcdir"/src/tools/*.c \
	"$top_srcdir"/src/sim/*.[ch] 2>/dev/null | tr '\n' ' ')
eq "tradebotd, exchange-sim and gs-trace use the public header only" "$uses" ""

# make installcheck's programs, against this installed tree.
if DESTDIR="$root" prefix="$prefix" libdir="$libdir" bindir="$bindir" \
	docdir="$docdir" mandir="$mandir" bash "$top_srcdir/tests/installcheck.sh" >"$T/installcheck.log" 2>&1; then
	pass "installcheck: the examples build, run and trace as they should"
else
	fail "installcheck"; cat "$T/installcheck.log"
fi

LD_LIBRARY_PATH="$root$libdir" "$root$sbindir/tradebotd" --version | grep -q "^tradebotd " &&
	pass "installed tradebotd runs" || fail "installed tradebotd"
finish
