#ifndef PBX_PBXD_NOFILE_H
#define PBX_PBXD_NOFILE_H

/* Raises the soft RLIMIT_NOFILE to the hard limit and logs the value, as
 * operators of nginx or Kamailio expect: call it before the TCP transport
 * derives its connection limit from RLIMIT_NOFILE. A failure is logged,
 * not fatal: the node runs with the soft limit it was given. */
void pbxd_raise_nofile(void);

#endif
