/* Private to fsproto: reporting a parse failure. */
#ifndef VGPUFS_FAIL_MSG_H
#define VGPUFS_FAIL_MSG_H

#include <stddef.h>

/* Formats the message into MSG (MSGLEN bytes) and returns ERR. */
int vgpu_fail_msg(char *msg, size_t msglen, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
