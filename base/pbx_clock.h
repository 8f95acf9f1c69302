/*
 * The clock, read in one place: wall time (CLOCK_REALTIME) for what is
 * stored or compared across nodes and restarts (expiries, nonces, events),
 * monotonic time for intervals measured inside the process.
 */
#ifndef PBX_CLOCK_H
#define PBX_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
pbx_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
pbx_wall_ns(void)
{
	return pbx_clock_ns(CLOCK_REALTIME);
}

static inline uint64_t
pbx_wall_ms(void)
{
	return pbx_wall_ns() / 1000000u;
}

static inline uint64_t
pbx_mono_ns(void)
{
	return pbx_clock_ns(CLOCK_MONOTONIC);
}

static inline uint64_t
pbx_mono_us(void)
{
	return pbx_mono_ns() / 1000u;
}

static inline uint64_t
pbx_mono_ms(void)
{
	return pbx_mono_ns() / 1000000u;
}

#endif
