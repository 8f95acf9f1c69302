#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the benchmarks need,
# and only those that are missing. Safe to run again; quiet when nothing is missing.
set -euo pipefail

PKGS=(
	# toolchain
	build-essential cmake pkg-config clang-format
	# libraries the PBX links against
	libuv1-dev libnng-dev liblmdb-dev libprotobuf-c-dev protobuf-c-compiler
	libssl-dev libopus-dev libsrtp2-dev libcyaml-dev libyaml-dev libpcre2-dev
	libc-ares-dev libspeexdsp-dev
	# tests: unit tests, real SIP peers
	check sip-tester openssl   # openssl: tests make certificates and speak TLS
	baresip sox jq             # a real softphone, its test tones, JSON checks
	# sanitizer and fuzzer builds (clang with its runtime)
	clang libclang-rt-14-dev
)

missing=()
for p in "${PKGS[@]}"; do
	[[ $p == \#* ]] && continue
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
