/* Pieces shared by the FUSE handler files (fs_*.c). */
#ifndef VGPUFSD_FS_INTERNAL_H
#define VGPUFSD_FS_INTERNAL_H

#include <fuse_lowlevel.h>

#include "device.h"
#include "fs/node.h"
#include "mem/disk_tier.h"

#define ATTR_TIMEOUT 1.0

/* tree_lock held */
void fs_fill_attr(const struct node *n, struct stat *st);
void fs_fill_entry(struct node *n, struct fuse_entry_param *e);
/* Sets up passthrough for an open of buffer N (tree_lock held): 0/-errno. */
int fs_buffer_open(fuse_req_t req, struct node *n, struct fuse_file_info *fi);
/*
 * With a bus, starts holding back answers to opens and closes of buffers
 * (bus_pace.h); 0 or -errno. bus_pace_join() ends it.
 */
int fs_bus_start(struct fuse_session *se);

/* fs_mem.c: changes to the tree under mem/ (buffer.h does the work) */
/* fs_xattr.c: user.vgpu.tier */
void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		 const char *value, size_t size, int flags);
void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);
void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi);
void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	      dev_t rdev);
void fs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
	       fuse_ino_t newparent, const char *newname, unsigned int flags);
void fs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset,
		  off_t length, struct fuse_file_info *fi);
void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		struct fuse_file_info *fi);

/* fs_ring.c: rings/ (ring/ring.h) */
void fs_ring_create(fuse_req_t req, const char *name,
		    struct fuse_file_info *fi);
/* Whether INO is a ring's node. */
bool fs_is_ring(fuse_ino_t ino);
/* The last close of a ring: its context closes, its node goes. */
void fs_ring_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);

/*
 * Releases tree_lock after a change to mem/, then waits for its records
 * on the disk tier to be durable (disk_flush), before the reply.
 */
static inline void fs_unlock_durable(void)
{
	pthread_mutex_unlock(&tree_lock);
	disk_flush();
}

static inline struct device *fs_device(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

#endif
