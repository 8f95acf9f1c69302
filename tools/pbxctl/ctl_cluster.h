/* pbxctl cluster: the answer printed as a table or as JSON. */
#ifndef PBXCTL_CTL_CLUSTER_H
#define PBXCTL_CTL_CLUSTER_H

#include <stdbool.h>

#include "admin.pb-c.h"

void print_cluster(bool json, const Pbx__ClusterResponse *r);

#endif
