/*
 * File handles: an object made when a file is opened travels to the later
 * requests on that file as fi->fh. The kernel orders the open before them
 * (its answer carries the handle), but through system calls that
 * ThreadSanitizer does not see; in a TSan build these tell it, otherwise
 * they are plain casts.
 */
#ifndef VGPUFSD_FH_H
#define VGPUFSD_FH_H

#include <fuse_lowlevel.h>
#include <stdint.h>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#else
#define __tsan_release(p) ((void)(p))
#define __tsan_acquire(p) ((void)(p))
#endif

/* The handle for OBJ, complete now: to be answered to the open. */
static inline uint64_t fh_of(void *obj)
{
	__tsan_release(obj);
	return (uint64_t)(uintptr_t)obj;
}

/* The object behind handle FH, answered to an open before. */
static inline void *fh_to_obj(uint64_t fh)
{
	void *obj = (void *)(uintptr_t)fh;
	__tsan_acquire(obj);
	return obj;
}

/* The object behind the handle of a request on an open file. */
static inline void *fh_obj(const struct fuse_file_info *fi)
{
	return fh_to_obj(fi->fh);
}

/*
 * A request is done with OBJ (before it answers): what it did happens
 * before the later requests on the file, the release that frees OBJ too.
 */
static inline void fh_done(void *obj)
{
	__tsan_release(obj);
}

#endif
