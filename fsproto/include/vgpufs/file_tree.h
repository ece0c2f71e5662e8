/*
 * The file tree's contract, spelled once: the names of the device's files,
 * the tier attribute and its values, and the keys of `info`. The daemon
 * serves them; libvgpu and the tools read them (docs/file-tree.md).
 */
#ifndef VGPUFS_FILE_TREE_H
#define VGPUFS_FILE_TREE_H

/* Files and directories at the device's root. */
#define VGPU_FILE_INFO	  "info"
#define VGPU_FILE_QUEUE	  "queue"
#define VGPU_FILE_STATS	  "stats"
#define VGPU_FILE_METRICS "metrics"
#define VGPU_FILE_TRACE	  "trace"
#define VGPU_DIR_MEM	  "mem"
#define VGPU_DIR_KERNELS  "kernels"
/* Where a client creates its submission rings (vgpufs/ring_layout.h). */
#define VGPU_DIR_RINGS "rings"

/* The extended attribute naming a buffer's (or a directory's) tier. */
#define VGPU_XATTR_TIER "user.vgpu.tier"
/* Its values: the tiers' names, also used in info, stats and metrics. */
#define VGPU_TIER_RAM  "ram"
#define VGPU_TIER_DISK "disk"

/* Keys of the info file ("KEY: VALUE" lines). */
#define VGPU_INFO_NAME	   "name"
#define VGPU_INFO_VERSION  "version"
#define VGPU_INFO_PROTOCOL "protocol"
#define VGPU_INFO_WORKERS  "workers"
#define VGPU_INFO_TIERS	   "tiers"
/* Each tier's capacity and use in bytes: printf formats of its name. */
#define VGPU_INFO_TIER_CAPACITY "tier.%s.capacity"
#define VGPU_INFO_TIER_USED	"tier.%s.used"
#define VGPU_INFO_TRANSPORT	"transport"
#define VGPU_INFO_PASSTHROUGH	"passthrough"
#define VGPU_INFO_BUS		"bus"
#define VGPU_INFO_KERNELS	"kernels"

#endif
