/* The user directory, indexed for lookups by user and domain. Built once at
 * start from the configuration, then only read (any worker, no locks). */
#ifndef PBX_DIRECTORY_H
#define PBX_DIRECTORY_H

#include "conf.h"
#include "sip.h"

struct directory;

int directory_build(struct directory **out, const struct conf_directory *d);
void directory_free(struct directory *d);
/* The user `user` of `domain` (case-insensitive domain), or NULL. */
const struct conf_user *directory_find(const struct directory *d,
                                       const struct pl *user,
                                       const struct pl *domain);
size_t directory_count(const struct directory *d);

#endif
