/* errno values as the names completions print ("EINVAL"): one table. */
#ifndef VGPUFS_ERRNAMES_H
#define VGPUFS_ERRNAMES_H

#include <stddef.h>

/* Accepts E or -E; "EUNKNOWN" for a value it does not know. */
const char *vgpu_errno_name(int err);
/* The errno (positive) named by NAME's LEN bytes; 0 for none. */
int vgpu_errno_of_name(const char *name, size_t len);

#endif
