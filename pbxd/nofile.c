#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "log.h"
#include "nofile.h"

void
pbxd_raise_nofile(void)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		rt_warn("limits: RLIMIT_NOFILE unknown: %s", strerror(errno));
		return;
	}
	if (rl.rlim_cur >= rl.rlim_max) {
		rt_info("limits: RLIMIT_NOFILE %llu (the hard limit)",
		        (unsigned long long)rl.rlim_cur);
		return;
	}
	was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	/* an unlimited hard limit is refused for descriptors (the kernel's
	 * nr_open caps it): keep the soft limit then, and say so */
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		rt_warn("limits: RLIMIT_NOFILE stays %llu: cannot raise it to "
		        "the hard limit %llu: %s",
		        (unsigned long long)was,
		        (unsigned long long)rl.rlim_max, strerror(errno));
		return;
	}
	rt_info("limits: RLIMIT_NOFILE raised from %llu to %llu (the hard "
	        "limit)",
	        (unsigned long long)was, (unsigned long long)rl.rlim_cur);
}
