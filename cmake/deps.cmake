# Every dependency is a Debian package; when one is missing, say which package
# to install (tools/install-deps.sh installs them all).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

function(pbx_pkg name module debian)
	pkg_check_modules(${name} QUIET IMPORTED_TARGET GLOBAL ${module})
	if(NOT ${name}_FOUND)
		message(FATAL_ERROR "pkg-config module '${module}' not found: "
			"install the Debian package ${debian} (apt-get install ${debian}, "
			"or run tools/install-deps.sh)")
	endif()
	add_library(pbx::${name} ALIAS PkgConfig::${name})
endfunction()

pbx_pkg(uv libuv libuv1-dev)
pbx_pkg(lmdb lmdb liblmdb-dev)
pbx_pkg(protobufc libprotobuf-c libprotobuf-c-dev)
pbx_pkg(ssl openssl libssl-dev)
pbx_pkg(cyaml libcyaml libcyaml-dev)
pbx_pkg(yaml yaml-0.1 libyaml-dev)
pbx_pkg(pcre2 libpcre2-8 libpcre2-dev)
pbx_pkg(cares libcares libc-ares-dev)
pbx_pkg(opus opus libopus-dev)
pbx_pkg(srtp libsrtp2 libsrtp2-dev)
pbx_pkg(speexdsp speexdsp libspeexdsp-dev)
pbx_pkg(check check check)

find_package(nng CONFIG QUIET)
if(NOT nng_FOUND)
	message(FATAL_ERROR "nng not found: install the Debian package libnng-dev "
		"(apt-get install libnng-dev, or run tools/install-deps.sh)")
endif()

find_program(PROTOC_C protoc-c)
if(NOT PROTOC_C)
	message(FATAL_ERROR "protoc-c not found: install the Debian package "
		"protobuf-c-compiler (or run tools/install-deps.sh)")
endif()
