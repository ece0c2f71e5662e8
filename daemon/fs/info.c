#include <stdio.h>
#include <stdlib.h>

#include <vgpufs/catalog.h>
#include <vgpufs/file_tree.h>

#include "device.h"
#include "mem/bus.h"
#include "observe/text_buf.h"
#include "sched/scheduler.h"
#include "sched/topology.h"
#include "version.h"

char *info_render(const struct device *dev, size_t *len)
{
	struct text_buf tb = {0};
	tb_printf(&tb, VGPU_INFO_NAME ": %s\n", dev->opts->name);
	tb_printf(&tb, VGPU_INFO_VERSION ": %s\n", VGPUFS_VERSION);
	tb_printf(&tb, VGPU_INFO_PROTOCOL ": %d\n", VGPUFS_PROTOCOL_VERSION);
	tb_printf(&tb, VGPU_INFO_WORKERS ": %u\n", sched_workers());
	topology_describe(&tb);
	tb_printf(&tb, VGPU_INFO_TIERS ":");
	for (int i = 0; i < TIER_COUNT; i++)
		if (dev->tiers[i])
			tb_printf(&tb, " %s", tier_name(i));
	tb_printf(&tb, "\n");
	for (int i = 0; i < TIER_COUNT; i++)
		if (dev->tiers[i]) {
			tb_printf(
			    &tb, VGPU_INFO_TIER_CAPACITY ": %llu\n",
			    tier_name(i),
			    (unsigned long long)tier_capacity(dev->tiers[i]));
			tb_printf(&tb, VGPU_INFO_TIER_USED ": %llu\n",
				  tier_name(i),
				  (unsigned long long)tier_used(dev->tiers[i]));
		}
	tb_printf(&tb, VGPU_INFO_TRANSPORT ": %s\n",
		  atomic_load_explicit(&dev->uring_seen, memory_order_relaxed)
		      ? "fuse-io_uring"
		      : "fuse");
	tb_printf(&tb, VGPU_INFO_PASSTHROUGH ": %s\n",
		  dev->passthrough ? "yes" : "no");
	struct bus_stats bus;
	bus_stats_read(&bus);
	tb_printf(&tb, VGPU_INFO_BUS ": %s\n", bus.profile);
	if (bus.enabled) {
		tb_printf(&tb, VGPU_INFO_BUS ".bandwidth: %llu\n",
			  (unsigned long long)bus.bandwidth);
		tb_printf(&tb, VGPU_INFO_BUS ".latency_ns: %llu\n",
			  (unsigned long long)bus.latency_ns);
	}
	tb_printf(&tb, VGPU_INFO_KERNELS ":");
	for (unsigned id = 0; id < vgpu_catalog_count(); id++)
		tb_printf(&tb, " %s", vgpu_catalog_by_id(id)->name);
	tb_printf(&tb, "\n");
	*len = tb.len;
	return tb_take(&tb);
}
