#!/usr/bin/env bash
# Build the libFuzzer targets of the SIP/SDP codec with clang in build-fuzz/
# and run each for a bounded time, seeded from the RFC 4475 vectors.
#   tools/fuzz.sh [SECONDS]     (default 60 per target)
# Crashes are written to build-fuzz/artifacts/; the corpus lives in a
# temporary directory, never in the repository.
set -euo pipefail
secs=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
vectors=$root/tests/sip/rfc4475

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DPBX_FUZZ=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_msg fuzz_uri fuzz_sdp -j "$(nproc)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/msg" "$work/uri" "$work/sdp" "$build/artifacts"

# messages: the vectors as they are
cp "$vectors"/*.dat "$work/msg/"
# URIs: every sip:/sips:/tel: URI and every name-addr line in the vectors
i=0
while IFS= read -r u; do
	printf '%s' "$u" >"$work/uri/u$i"
	i=$((i + 1))
done < <(cat "$vectors"/*.dat | tr -d '\r' |
	grep -aoE '(sips?|tel):[^ <>"]+|<[^>]*>[^,]*' | sort -u | head -500)
# SDP: the bodies (after the first empty line) of the vectors with v=0
for f in "$vectors"/*.dat; do
	if grep -aq '^v=0' "$f"; then
		awk 'body { print } /^\r?$/ { body = 1 }' "$f" \
			>"$work/sdp/$(basename "$f")"
	fi
done

status=0
for t in msg uri sdp; do
	echo "== fuzz_$t for ${secs}s"
	if ! "$build/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/fuzz_$t-" \
		"$work/$t" 2>"$work/$t.log"; then
		status=1
		tail -n 60 "$work/$t.log"
		echo "fuzz_$t: FAILED (artifact in $build/artifacts/)"
	else
		grep -E '^stat::(number_of_executed_units|peak_rss_mb)' \
			"$work/$t.log" || true
		echo "fuzz_$t: ok"
	fi
done
exit $status
