/* errno values as the names completions print ("EINVAL"). */
#ifndef VGPUFS_ERRNAMES_H
#define VGPUFS_ERRNAMES_H

/* Accepts E or -E; "EUNKNOWN" for a value it does not know. */
const char *vgpu_errno_name(int err);

#endif
