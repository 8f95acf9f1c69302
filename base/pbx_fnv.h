/*
 * FNV-1a, the project's one non-cryptographic hash (tables, keys, the
 * worker of a Call-ID): 64-bit, and 32-bit for the node id derived from a
 * node name (pbxd), whose values must not change.
 */
#ifndef PBX_FNV_H
#define PBX_FNV_H

#include <stddef.h>
#include <stdint.h>

/* The start every table here has always used: one digit short of FNV's
 * offset basis (14695981039346656037), kept so no hash changes; FNV-1a
 * needs only a non-zero start. */
#define PBX_FNV64_INIT  1469598103934665603ull
#define PBX_FNV64_PRIME 1099511628211ull
#define PBX_FNV32_INIT  2166136261u
#define PBX_FNV32_PRIME 16777619u

/* One byte into h. */
static inline uint64_t
pbx_fnv64_byte(uint64_t h, unsigned char c)
{
	return (h ^ c) * PBX_FNV64_PRIME;
}

/* len bytes into h (start with PBX_FNV64_INIT). */
static inline uint64_t
pbx_fnv64(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		h = pbx_fnv64_byte(h, b[i]);
	return h;
}

/* A C string into a 32-bit hash (start with PBX_FNV32_INIT). */
static inline uint32_t
pbx_fnv32_str(uint32_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * PBX_FNV32_PRIME;
	return h;
}

#endif
