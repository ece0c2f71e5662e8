#include <errno.h>
#include <numa.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "observe/log.h"
#include "observe/text_buf.h"
#include "sched/topology.h"

static struct {
	unsigned workers, ncpus, nnodes;
	int *cpu, *node; /* per worker */
	bool numa;
} T;

static int node_of(int cpu)
{
	int n = T.numa ? numa_node_of_cpu(cpu) : 0;
	return n < 0 ? 0 : n;
}

int topology_init(unsigned workers)
{
	cpu_set_t allowed;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return -errno;
	T.numa = numa_available() >= 0;
	T.nnodes = T.numa ? (unsigned)numa_num_configured_nodes() : 1;
	if (T.nnodes == 0)
		T.nnodes = 1;
	int cpus[CPU_SETSIZE];
	unsigned n = 0;
	/* Node by node in turn, so that the first workers span all nodes. */
	for (unsigned round = 0; n < (unsigned)CPU_COUNT(&allowed); round++)
		for (unsigned node = 0; node < T.nnodes; node++) {
			unsigned seen = 0;
			for (int c = 0; c < CPU_SETSIZE; c++) {
				if (!CPU_ISSET(c, &allowed) ||
				    (unsigned)node_of(c) != node)
					continue;
				if (seen++ == round) {
					cpus[n++] = c;
					break;
				}
			}
		}
	T.cpu = calloc(workers, sizeof(int));
	T.node = calloc(workers, sizeof(int));
	if (!T.cpu || !T.node || n == 0)
		return -ENOMEM;
	T.workers = workers;
	T.ncpus = n;
	for (unsigned i = 0; i < workers; i++) {
		T.cpu[i] = cpus[i % n];
		T.node[i] = node_of(T.cpu[i]);
	}
	return 0;
}

void topology_bind_worker(unsigned i)
{
	if (i >= T.workers)
		return;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(T.cpu[i], &one);
	if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one) != 0)
		log_warn("worker %u: cannot pin to CPU %d", i, T.cpu[i]);
	if (T.numa && T.nnodes > 1)
		numa_set_preferred(T.node[i]);
}

unsigned topology_nodes(void)
{
	return T.nnodes;
}

void topology_describe(struct text_buf *tb)
{
	tb_printf(tb, "numa.nodes: %u\n", T.nnodes);
	tb_printf(tb, "cpus: %u\n", T.ncpus);
	tb_printf(tb, "worker.cpus:");
	for (unsigned i = 0; i < T.workers; i++)
		tb_printf(tb, " %d", T.cpu[i]);
	tb_printf(tb, "\nworker.nodes:");
	for (unsigned i = 0; i < T.workers; i++)
		tb_printf(tb, " %d", T.node[i]);
	tb_printf(tb, "\n");
}
