/* Preparing the mount point: create it, clear a stale mount, refuse a live one.
 */
#ifndef VGPUFSD_MOUNTPOINT_H
#define VGPUFSD_MOUNTPOINT_H

/*
 * Makes PATH ready to be mounted on. A mount left by a daemon that died
 * (ENOTCONN) is detached. Returns 0, or -errno after logging why (e.g.
 * -EBUSY when a live vgpufsd serves PATH).
 */
int mountpoint_prepare(const char *path);

#endif
