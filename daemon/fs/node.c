#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vgpufs/catalog.h>
#include <vgpufs/file_tree.h>

#include "fault_inject.h"
#include "fs/node.h"
#include "mem/mem_trim.h"
#include "mem/user_usage.h"

pthread_mutex_t tree_lock = PTHREAD_MUTEX_INITIALIZER;

#define HASH_MIN 1024

static struct {
	struct node **by_ino, **by_name;
	size_t size, count; /* both tables have SIZE slots */
	uint64_t next_ino;
	uint64_t buffers;
	uint64_t fixed; /* nodes of the device itself: count - fixed in mem/ */
	struct mem_watermark mark; /* of count */
} tree;

static size_t ino_slot(uint64_t ino)
{
	return (size_t)((ino * 0x9E3779B97F4A7C15ULL) >> 20) & (tree.size - 1);
}

static size_t name_slot(const struct node *dir, const char *name)
{
	uint64_t h = 1469598103934665603ULL ^ dir->ino;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29)) & (tree.size - 1);
}

static void hash_insert(struct node *n)
{
	size_t s = ino_slot(n->ino);
	n->next_by_ino = tree.by_ino[s];
	tree.by_ino[s] = n;
	if (n->parent) {
		s = name_slot(n->parent, n->name);
		n->next_by_name = tree.by_name[s];
		tree.by_name[s] = n;
	}
}

static void unlink_chain(struct node **head, struct node *n, bool by_ino)
{
	for (struct node **p = head; *p;
	     p = by_ino ? &(*p)->next_by_ino : &(*p)->next_by_name)
		if (*p == n) {
			*p = by_ino ? n->next_by_ino : n->next_by_name;
			return;
		}
}

static void name_hash_remove(struct node *n)
{
	unlink_chain(&tree.by_name[name_slot(n->parent, n->name)], n, false);
}

/* Doubles the tables when they get full, so chains stay short. */
static int hash_grow(void)
{
	if (tree.count < tree.size)
		return 0;
	size_t old = tree.size;
	struct node **oi = tree.by_ino, **on = tree.by_name;
	struct node **ni = calloc(old * 2, sizeof(*ni));
	struct node **nn = calloc(old * 2, sizeof(*nn));
	if (!ni || !nn) {
		free(ni);
		free(nn);
		return -ENOMEM;
	}
	tree.by_ino = ni;
	tree.by_name = nn;
	tree.size = old * 2;
	for (size_t i = 0; i < old; i++)
		for (struct node *n = oi[i], *next; n; n = next) {
			next = n->next_by_ino;
			hash_insert(n);
		}
	free(oi);
	free(on);
	return 0;
}

static void child_link(struct node *dir, struct node *n)
{
	n->parent = dir;
	n->next_sibling = dir->first_child;
	if (dir->first_child)
		dir->first_child->prev_sibling = &n->next_sibling;
	dir->first_child = n;
	n->prev_sibling = &dir->first_child;
	dir->nchildren++;
}

static void child_unlink(struct node *n)
{
	*n->prev_sibling = n->next_sibling;
	if (n->next_sibling)
		n->next_sibling->prev_sibling = n->prev_sibling;
	n->parent->nchildren--;
	n->prev_sibling = NULL;
	n->next_sibling = NULL;
}

static struct node *alloc_node(uint64_t ino, enum node_kind kind,
			       const char *name, mode_t mode, uid_t uid,
			       gid_t gid)
{
	struct node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->name = strdup(name);
	if (!n->name) {
		free(n);
		return NULL;
	}
	n->ino = ino;
	n->kind = kind;
	n->mode = mode;
	n->uid = uid;
	n->gid = gid;
	n->fd = -1;
	n->tier_default = TIER_UNSET;
	clock_gettime(CLOCK_REALTIME, &n->mtime);
	n->atime = n->ctime = n->mtime;
	return n;
}

static struct node *add_fixed(struct node *dir, uint64_t ino,
			      enum node_kind kind, const char *name,
			      mode_t mode)
{
	struct node *n = alloc_node(ino, kind, name, mode, 0, 0);
	if (!n)
		return NULL;
	if (dir)
		child_link(dir, n);
	hash_insert(n);
	tree.count++;
	return n;
}

int tree_init(void)
{
	tree.size = HASH_MIN;
	tree.by_ino = calloc(tree.size, sizeof(*tree.by_ino));
	tree.by_name = calloc(tree.size, sizeof(*tree.by_name));
	tree.next_ino = INO_FIRST_DYNAMIC;
	if (!tree.by_ino || !tree.by_name)
		return -ENOMEM;
	struct node *root =
	    add_fixed(NULL, INO_ROOT, NK_ROOT, "", S_IFDIR | 0755);
	struct node *kd = root ? add_fixed(root, INO_KERNELS, NK_KERNELS,
					   VGPU_DIR_KERNELS, S_IFDIR | 0555)
			       : NULL;
	if (!kd ||
	    !add_fixed(root, INO_INFO, NK_INFO, VGPU_FILE_INFO,
		       S_IFREG | 0444) ||
	    /* Sticky and world-writable, like /tmp: anyone may allocate. */
	    !add_fixed(root, INO_MEM, NK_MEM, VGPU_DIR_MEM, S_IFDIR | 01777) ||
	    !add_fixed(root, INO_QUEUE, NK_QUEUE, VGPU_FILE_QUEUE,
		       S_IFREG | 0666) ||
	    !add_fixed(root, INO_STATS, NK_STATS, VGPU_FILE_STATS,
		       S_IFREG | 0444) ||
	    !add_fixed(root, INO_METRICS, NK_METRICS, VGPU_FILE_METRICS,
		       S_IFREG | 0444) ||
	    !add_fixed(root, INO_TRACE, NK_TRACE, VGPU_FILE_TRACE,
		       S_IFREG | 0444) ||
	    /* Anyone may create a ring there; it never shows (rings.c). */
	    !add_fixed(root, INO_RINGS, NK_RINGS, VGPU_DIR_RINGS,
		       S_IFDIR | 01777))
		return -ENOMEM;
	for (unsigned id = 0; id < vgpu_catalog_count(); id++) {
		struct node *doc =
		    add_fixed(kd, INO_KERNEL_DOC0 + id, NK_KERNEL_DOC,
			      vgpu_catalog_by_id(id)->name, S_IFREG | 0444);
		if (!doc)
			return -ENOMEM;
		doc->kernel_id = id;
	}
	tree.fixed = tree.count;
	return 0;
}

static void (*release_buffer)(struct node *);

void node_set_buffer_release(void (*release)(struct node *))
{
	release_buffer = release;
}

static void free_node(struct node *n)
{
	if (n->kind == NK_BUF && release_buffer)
		release_buffer(n);
	if (n->fd >= 0)
		close(n->fd);
	free(n->kernels);
	free(n->name);
	free(n);
}

void tree_destroy(void)
{
	for (size_t i = 0; i < tree.size; i++)
		for (struct node *n = tree.by_ino[i], *next; n; n = next) {
			next = n->next_by_ino;
			free_node(n);
		}
	free(tree.by_ino);
	free(tree.by_name);
	tree.by_ino = tree.by_name = NULL;
}

struct node *node_by_ino(uint64_t ino)
{
	for (struct node *n = tree.by_ino[ino_slot(ino)]; n; n = n->next_by_ino)
		if (n->ino == ino)
			return n;
	return NULL;
}

struct node *node_child(const struct node *dir, const char *name)
{
	for (struct node *n = tree.by_name[name_slot(dir, name)]; n;
	     n = n->next_by_name)
		if (n->parent == dir && strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

bool node_is_dir(const struct node *n)
{
	return S_ISDIR(n->mode);
}

struct node *node_create(struct node *dir, const char *name,
			 enum node_kind kind, mode_t mode, uid_t uid, gid_t gid)
{
	if (strlen(name) > 255) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (node_child(dir, name)) {
		errno = EEXIST;
		return NULL;
	}
	if (usage_node_check(uid) < 0) { /* --user-buffers */
		errno = EDQUOT;
		return NULL;
	}
	/* setgid directories pass their group on, as on any file system. */
	if (dir->mode & S_ISGID) {
		gid = dir->gid;
		if (kind == NK_DIR)
			mode |= S_ISGID;
	}
	return node_restore(dir, name, kind, mode, uid, gid, tree.next_ino);
}

void node_reserve_ino(uint64_t ino)
{
	if (ino >= tree.next_ino)
		tree.next_ino = ino + 1;
}

struct node *node_restore(struct node *dir, const char *name,
			  enum node_kind kind, mode_t mode, uid_t uid,
			  gid_t gid, uint64_t ino)
{
	if (strlen(name) > 255) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (node_child(dir, name) || node_by_ino(ino)) {
		errno = EEXIST;
		return NULL;
	}
	if (fault_inject("node") || hash_grow() < 0) {
		errno = ENOMEM;
		return NULL;
	}
	struct node *n = alloc_node(ino, kind, name, mode, uid, gid);
	if (!n) {
		errno = ENOMEM;
		return NULL;
	}
	node_reserve_ino(ino);
	/* New directories inherit their parent's default tier. */
	if (kind == NK_DIR)
		n->tier_default = dir->tier_default;
	child_link(dir, n);
	hash_insert(n);
	tree.count++;
	mem_trim_count(&tree.mark, tree.count);
	if (kind == NK_BUF)
		tree.buffers++;
	usage_node_add(uid);
	node_touch(dir, true);
	return n;
}

void node_unlink(struct node *n)
{
	node_touch(n->parent, true);
	name_hash_remove(n);
	child_unlink(n);
	n->unlinked = true;
	clock_gettime(CLOCK_REALTIME, &n->ctime);
	node_release_if_unused(n);
}

int node_rename(struct node *n, struct node *dir, const char *name)
{
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	node_touch(n->parent, true);
	name_hash_remove(n);
	child_unlink(n);
	free(n->name);
	n->name = copy;
	child_link(dir, n);
	size_t s = name_slot(dir, n->name);
	n->next_by_name = tree.by_name[s];
	tree.by_name[s] = n;
	node_touch(dir, true);
	clock_gettime(CLOCK_REALTIME, &n->ctime);
	return 0;
}

void node_release_if_unused(struct node *n)
{
	if (!n->unlinked || n->nlookup || n->opens || n->busy)
		return;
	unlink_chain(&tree.by_ino[ino_slot(n->ino)], n, true);
	tree.count--;
	if (n->kind == NK_BUF)
		tree.buffers--;
	usage_node_sub(n->uid);
	free_node(n);
	mem_trim_count(&tree.mark, tree.count);
}

struct node *node_resolve(const char *path, size_t len, struct cred *cred,
			  int *err)
{
	struct node *n = node_by_ino(INO_MEM);
	char part[256];
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && path[j] != '/')
			j++;
		if (!node_is_dir(n)) {
			*err = -ENOTDIR;
			return NULL;
		}
		if (!cred_allows(cred, n->uid, n->gid, n->mode, PERM_X)) {
			*err = -EACCES;
			return NULL;
		}
		if (j - i >= sizeof(part)) {
			*err = -ENAMETOOLONG;
			return NULL;
		}
		memcpy(part, path + i, j - i);
		part[j - i] = '\0';
		n = node_child(n, part);
		if (!n) {
			*err = -ENOENT;
			return NULL;
		}
		i = j + 1;
	}
	if (n->kind != NK_BUF) {
		*err = -EISDIR;
		return NULL;
	}
	return n;
}

bool node_path_searchable(const struct node *n, struct cred *cred)
{
	if (n->unlinked)
		return false;
	for (const struct node *dir = n->parent; dir; dir = dir->parent) {
		if (!cred_allows(cred, dir->uid, dir->gid, dir->mode, PERM_X))
			return false;
		if (dir->kind == NK_MEM)
			return true;
	}
	return false; /* not under mem/: no buffer */
}

void node_set_owner(struct node *n, uid_t uid)
{
	usage_chown(n->uid, uid, n->charged);
	n->uid = uid;
}

void node_touch(struct node *n, bool modified)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (modified)
		n->mtime = n->ctime = now;
	else
		n->atime = now;
}

void node_for_each_buffer(void (*fn)(struct node *n, void *arg), void *arg)
{
	for (size_t i = 0; i < tree.size; i++)
		for (struct node *n = tree.by_ino[i]; n; n = n->next_by_ino)
			if (n->kind == NK_BUF)
				fn(n, arg);
}

uint64_t node_count_buffers(void)
{
	return tree.buffers;
}

uint64_t node_count_mem(void)
{
	return tree.count - tree.fixed;
}
