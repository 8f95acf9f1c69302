#!/usr/bin/env bash
# The dependency check of the layout (README.md, "Layout"): derives the graph
# between the source folders from their #include lines and from the CMake
# target_link_libraries of their libraries, and fails on an edge the table
# below does not allow or on a cycle. Run by CTest (test `depcheck`, label
# unit).
#
# usage: tools/depcheck.sh [SOURCE_DIR] [--graph]
#   --graph: print the derived edges ("from -> to") and exit 0.
set -euo pipefail
SRC=${1:-$(dirname "$0")/..}
cd "$SRC"

# A module is a folder (a library or a program). What each may use: its
# direct dependencies, listed whole (a transitive use is listed too), so the
# table reads as the architecture. Everything not listed is forbidden.
# base/ (header-only: the clock, FNV-1a) is below everything, for all.
declare -A ALLOW=(
	[base]=""
	[proto]="base"
	[sip]="base"
	[q850]="base"
	[conf]="q850 base"
	[runtime]="proto base"
	[storage]="runtime proto base"
	[cluster]="storage runtime proto base"
	[media]="sip runtime proto base"
	[dialplan]="conf q850 base"
	[actors/transport]="runtime proto sip conf q850 base"
	[actors/txn]="actors/transport runtime proto sip conf q850 base"
	[actors/stack]="actors/txn actors/transport runtime proto sip conf q850 base"
	[actors/auth]="sip conf q850 base"
	[actors/registrar]="actors/stack actors/txn actors/transport actors/auth storage runtime proto sip conf q850 base"
	[actors/dialog]="actors/txn actors/transport runtime proto sip conf q850 base"
	[actors/calls]="actors/dialog actors/txn actors/transport actors/auth dialplan media storage runtime proto sip conf q850 base"
	[pbxd]="actors/calls actors/dialog actors/registrar actors/stack actors/txn actors/transport actors/auth dialplan media cluster storage runtime proto sip conf q850 base"
	[tools/pbxctl]="proto q850 base"
	[tools/sipcheck]="sip base"
	[tools/bench]="runtime cluster proto sip base"
)

GRAPH=0
[ "${2:-}" = "--graph" ] && GRAPH=1

# The module of a path: the longest key of ALLOW that prefixes it.
module_of() {
	local p=$1 best="" m
	for m in "${!ALLOW[@]}"; do
		case "$p" in
		"$m"/*) [ ${#m} -gt ${#best} ] && best=$m ;;
		esac
	done
	echo "$best"
}

files=$(git ls-files '*.c' '*.h' 2>/dev/null ||
	find . -name '*.[ch]' -not -path './build*' | sed 's|^\./||')

# Header name -> module (generated protobuf headers: proto).
declare -A HDR
for f in $files; do
	m=$(module_of "$f")
	[ -n "$m" ] && [[ $f == *.h ]] || continue
	h=$(basename "$f")
	if [ -n "${HDR[$h]:-}" ] && [ "${HDR[$h]}" != "$m" ]; then
		echo "depcheck: $h is a header of ${HDR[$h]} and of $m: rename one"
		exit 1
	fi
	HDR[$h]=$m
done

declare -A EDGE
for f in $files; do
	m=$(module_of "$f")
	[ -n "$m" ] || continue # tests/ and the like: not a module
	while read -r h; do
		case "$h" in
		*.pb-c.h) to=proto ;;
		*) to=${HDR[$h]:-} ;;
		esac
		[ -n "$to" ] && [ "$to" != "$m" ] &&
			EDGE["$m -> $to"]+="$f(#include \"$h\") "
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" | xargs -rn1 basename)
done

# CMake: library pbx_NAME -> its folder; then the links of each target.
declare -A LIB
for c in $(git ls-files '*CMakeLists.txt' 2>/dev/null || find . -name CMakeLists.txt); do
	d=$(dirname "$c")
	for t in $(sed -n 's/.*add_library(\(pbx_[a-z_]*\).*/\1/p' "$c"); do
		LIB[$t]=$d
	done
done
for c in $(git ls-files '*CMakeLists.txt' 2>/dev/null || find . -name CMakeLists.txt); do
	m=$(module_of "$c")
	[ -n "$m" ] || continue
	# each target_link_libraries(...) call on one line, then its pbx_ names
	for t in $(tr '\n' ' ' <"$c" | grep -o 'target_link_libraries([^)]*)' |
		grep -o 'pbx_[a-z_]*' || true); do
		to=${LIB[$t]:-}
		[ -n "$to" ] && [ "$to" != "$m" ] &&
			EDGE["$m -> $to"]+="$c(links $t) "
	done
done

if [ $GRAPH = 1 ]; then
	printf '%s\n' "${!EDGE[@]}" | sort
	exit 0
fi

bad=0
for e in "${!EDGE[@]}"; do
	from=${e%% -> *}
	to=${e##* -> }
	if [[ " ${ALLOW[$from]} " != *" $to "* ]]; then
		echo "depcheck: forbidden edge $e: ${EDGE[$e]}"
		bad=1
	fi
done
# A cycle, in what the code does or in the table itself.
if ! printf '%s\n' "${!EDGE[@]}" | awk '{print $1, $3}' | tsort >/dev/null 2>/tmp/depcheck.$$; then
	echo "depcheck: a dependency cycle between folders:"
	grep -v 'input contains a loop' /tmp/depcheck.$$ | sed 's/^tsort: /  /'
	bad=1
fi
rm -f /tmp/depcheck.$$
for m in "${!ALLOW[@]}"; do
	for to in ${ALLOW[$m]}; do echo "$m $to"; done
done | tsort >/dev/null 2>&1 || {
	echo "depcheck: the table of allowed edges has a cycle"
	bad=1
}
if [ $bad = 0 ]; then
	echo "depcheck: ${#EDGE[@]} edges between $(printf '%s\n' "${!EDGE[@]}" |
		awk '{print $1; print $3}' | sort -u | wc -l) folders, all allowed, no cycle"
fi
exit $bad
