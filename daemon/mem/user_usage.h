/*
 * What each user but root holds on the device beyond their RAM (which
 * quota.c bounds): nodes under mem/ (buffers and directories, removed
 * ones still referenced too), bounded by --user-buffers, and bytes of the
 * disk tier, bounded by --user-disk-quota. Past a limit, making or growing
 * fails with -EDQUOT. Root is never bound; restored nodes and growth that
 * already happened (writes past the end, counted late) are counted even
 * past the limit. Functions here may be called with tree_lock held.
 */
#ifndef VGPUFSD_USER_USAGE_H
#define VGPUFSD_USER_USAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define USAGE_UNLIMITED UINT64_MAX

/* The limits per user: nodes and disk bytes (USAGE_UNLIMITED: none). */
void usage_init(uint64_t max_nodes, uint64_t max_disk);
void usage_cleanup(void);
uint64_t usage_node_limit(void);
uint64_t usage_disk_limit(void);

/* Whether UID may make one more node: 0 or -EDQUOT (logged once a user). */
int usage_node_check(uid_t uid);
/* A node of UID made (or restored) / freed. */
void usage_node_add(uid_t uid);
void usage_node_sub(uid_t uid);

/*
 * UID's disk-tier use changes from OLD to NEW bytes for one buffer: -EDQUOT
 * (nothing counted) when it grows past the limit, unless FORCE.
 */
int usage_disk_charge(uid_t uid, uint64_t old, uint64_t new, bool force);
/* Whether UID uses more of the disk tier than the limit allows. */
bool usage_disk_over(uid_t uid);

/* A node (holding DISK bytes of the disk tier) changes owner. */
void usage_chown(uid_t from, uid_t to, uint64_t disk);

/* UID's nodes and disk bytes. */
void usage_of(uid_t uid, uint64_t *nodes, uint64_t *disk);

#endif
