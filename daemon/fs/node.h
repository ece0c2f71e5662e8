/*
 * The file tree: fixed nodes (info, queue, stats, trace, kernels/...) and the
 * buffers and directories users create under mem/. One mutex guards the
 * whole tree (tree_lock); every function here expects it held unless it
 * says otherwise.
 */
#ifndef VGPUFSD_NODE_H
#define VGPUFSD_NODE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "fs/cred.h"

enum node_kind {
	NK_ROOT,
	NK_INFO,
	NK_MEM, /* mem/ itself */
	NK_QUEUE,
	NK_KERNELS,
	NK_KERNEL_DOC,
	NK_STATS,
	NK_METRICS,
	NK_TRACE,
	NK_DIR, /* a directory under mem/ */
	NK_BUF,
	NK_RINGS, /* rings/ */
	NK_RING,  /* a submission ring, unlinked from its creation */
};

enum {
	INO_ROOT = 1,
	INO_INFO,
	INO_MEM,
	INO_QUEUE,
	INO_KERNELS,
	INO_STATS,
	INO_METRICS,
	INO_TRACE,
	INO_RINGS,
	INO_KERNEL_DOC0 = 100, /* + kernel id */
	INO_FIRST_DYNAMIC = 1000,
};

struct bufmap;

struct node {
	uint64_t ino;
	enum node_kind kind;
	struct node *parent;
	char *name;
	struct node *next_by_name, *next_by_ino; /* hash chains */
	struct node *first_child, *next_sibling, **prev_sibling;
	uint32_t nchildren;

	uid_t uid;
	gid_t gid;
	mode_t mode; /* with the S_IF* type bits */
	struct timespec atime, mtime, ctime;

	uint64_t nlookup; /* the kernel's references (lookup/forget) */
	uint32_t opens;	  /* open file handles */
	uint32_t busy;	  /* queued or running commands using it */
	bool unlinked;

	/* NK_BUF */
	int fd;		   /* backing file in its tier; NK_RING: its memfd */
	struct tier *tier; /* ...which is this one */
	pid_t creator;	   /* the process that created it, for stats */
	uint64_t charged;  /* bytes the tier counts for it (disk tier) */
	bool stored;	   /* has its file and record in the disk tier */
	bool tier_pinned;  /* placed by user.vgpu.tier: no fallback */
	bool moving;	   /* its data is being copied to another tier */
	bool demoted;	   /* moved to disk by --auto-tier, not by a user */
	uint64_t last_used_ns; /* opened or named by a command (monotonic) */
	/* its owner's part of the RAM tier (--user-quota), or NULL */
	struct user_tier *quota;
	int backing_id;	    /* passthrough id while opens > 0, else 0 */
	struct bufmap *map; /* the daemon's mapping, for kernels */
	/*
	 * The backing file's size as a command last asked it (fstat) while
	 * nobody had the buffer open, valid while SIZE_KNOWN: only an open
	 * file grows it behind the daemon's back (a passthrough write), so
	 * an open, a resize, a fallocate and a new file forget it. Both,
	 * like OPENS, only under tree_lock: a worker binding a launch's
	 * buffers (prog_job.c) takes it as the FUSE threads do.
	 */
	uint64_t size_seen;
	bool size_known;
	/* the kernels' signatures of the program last built from it, or
	 * NULL: user.vgpu.kernels (prog/prog_job.c publishes them) */
	char *kernels;
	size_t kernels_len;
	/* NK_DIR, NK_MEM: the tier of new buffers in it, or TIER_UNSET */
	uint8_t tier_default;
	/* NK_KERNEL_DOC */
	unsigned kernel_id;
};

/* tier_default of a directory without a default tier */
#define TIER_UNSET 0xff

extern pthread_mutex_t tree_lock;

/*
 * What freeing a buffer's node lets go of besides its file: its place in a
 * tier and the daemon's mapping. mem/buffer.c says how (buffer_init), so
 * that the tree does not depend on the tiers.
 */
void node_set_buffer_release(void (*release)(struct node *));

/* Builds the fixed nodes; MEM_MODE etc. from the contract. 0 or -errno. */
int tree_init(void);
/* Frees every node (at exit, after the FUSE session is gone). */
void tree_destroy(void);

struct node *node_by_ino(uint64_t ino);
struct node *node_child(const struct node *dir, const char *name);

/*
 * Adds a child NAME to DIR. NK_BUF children get their backing FD. Returns
 * NULL with errno set (EEXIST, ENOMEM, ENAMETOOLONG, EDQUOT: UID holds
 * as many nodes as --user-buffers allows).
 */
struct node *node_create(struct node *dir, const char *name,
			 enum node_kind kind, mode_t mode, uid_t uid,
			 gid_t gid);

/*
 * node_create with inode number INO and exactly the given owner and mode
 * (a node restored at start); EEXIST if the name or number is taken.
 */
struct node *node_restore(struct node *dir, const char *name,
			  enum node_kind kind, mode_t mode, uid_t uid,
			  gid_t gid, uint64_t ino);
/* Inode numbers up to INO are taken (files found at start). */
void node_reserve_ino(uint64_t ino);

/* Removes N from its directory; it lives on while referenced. */
void node_unlink(struct node *n);
/* Moves N to DIR/NAME, replacing what is there (already checked). */
int node_rename(struct node *n, struct node *dir, const char *name);
/* Frees N if it is unlinked and nothing references it any more. */
void node_release_if_unused(struct node *n);

/*
 * Resolves PATH (LEN bytes, relative to mem/) for CRED: every directory on
 * the way must be searchable. Returns the node, or NULL with *ERR = -ENOENT,
 * -ENOTDIR, -EACCES, -EISDIR (the path names a directory).
 */
struct node *node_resolve(const char *path, size_t len, struct cred *cred,
			  int *err);

/*
 * Whether CRED may search every directory from N's parent up to mem/, as
 * they are now: a buffer named by its handle (inode number) is reachable
 * only if its name would be. False for an unlinked N.
 */
bool node_path_searchable(const struct node *n, struct cred *cred);

/* Calls FN for every buffer (live or unlinked); FN must not change the tree. */
void node_for_each_buffer(void (*fn)(struct node *n, void *arg), void *arg);

bool node_is_dir(const struct node *n);
/* N now belongs to UID (checked already): what it holds counts for UID. */
void node_set_owner(struct node *n, uid_t uid);
void node_touch(struct node *n, bool modified);
uint64_t node_count_buffers(void);
/* Buffers and directories under mem/ (removed ones still referenced too). */
uint64_t node_count_mem(void);

#endif
