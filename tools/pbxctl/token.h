/* The admin token pbxctl sends: --token, else --token-file, else the
 * environment's PBX_ADMIN_TOKEN, else none. */
#ifndef PBXCTL_TOKEN_H
#define PBXCTL_TOKEN_H

#include <stddef.h>

/* 0 and the token in buf ("" for none), or 2 after printing why. A file's
 * first line is the token, without its line end and trailing blanks. */
int ctl_token(char *buf, size_t n, const char *given, const char *file);

#endif
