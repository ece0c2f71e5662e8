#include <stdio.h>
#include <stdlib.h>

#include <vgpufs/catalog.h>

#include "device.h"
#include "quota.h"
#include "ram_tier.h"
#include "scheduler.h"
#include "text_buf.h"
#include "topology.h"
#include "version.h"

char *info_render(const struct device *dev, size_t *len)
{
	struct text_buf tb = {0};
	tb_printf(&tb, "name: %s\n", dev->opts->name);
	tb_printf(&tb, "version: %s\n", VGPUFS_VERSION);
	tb_printf(&tb, "protocol: %d\n", VGPUFS_PROTOCOL_VERSION);
	tb_printf(&tb, "workers: %u\n", sched_workers());
	topology_describe(&tb);
	tb_printf(&tb, "tiers: ram\n");
	tb_printf(&tb, "tier.ram.capacity: %llu\n",
		  (unsigned long long)ram_tier_capacity(dev->ram));
	tb_printf(&tb, "tier.ram.used: %llu\n",
		  (unsigned long long)quota_tier_used(dev->ram));
	tb_printf(&tb, "transport: %s\n",
		  dev->uring_seen ? "fuse-io_uring" : "fuse");
	tb_printf(&tb, "passthrough: %s\n", dev->passthrough ? "yes" : "no");
	tb_printf(&tb, "kernels:");
	for (unsigned id = 0; id < vgpu_catalog_count(); id++)
		tb_printf(&tb, " %s", vgpu_catalog_by_id(id)->name);
	tb_printf(&tb, "\n");
	*len = tb.len;
	return tb_take(&tb);
}
