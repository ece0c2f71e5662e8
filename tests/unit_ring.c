/*
 * The pure parts of rings: taking packets out of a submission ring (the
 * copy across the wrap, each impossible size refused with a message, runs
 * of packets ending before a wrong one or at the copy's end, runs of bare
 * nops) and the adaptive spin budget.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <vgpufs/binary_proto.h>
#include <vgpufs/catalog.h>
#include <vgpufs/ring_spin.h>

#include "ring/ring_take.h"

#define SQ 4096u

static unsigned char sq[SQ];
static _Alignas(8) unsigned char out[VGPU_BIN_PACKET_MAX];
static char msg[216];

/* Writes packet P of SIZE at AT, wrapping. */
static void put(const void *p, uint32_t size, uint32_t at)
{
	for (uint32_t i = 0; i < size; i++)
		sq[(at + i) % SQ] = ((const unsigned char *)p)[i];
}

START_TEST(packet_across_the_wrap)
{
	_Alignas(8) char p[256];
	ck_assert_int_eq(vgpu_bin_begin(p, sizeof(p), VGPU_K_FILL, 42), 0);
	ck_assert_int_eq(vgpu_bin_put_buf(p, sizeof(p), FILL_BUF, 1000, 0), 0);
	uint32_t size = (uint32_t)vgpu_bin_size(p);
	uint32_t head = 0xfffffff0u; /* 16 bytes before the counter wraps */
	put(p, size, head);
	ck_assert_int_eq(ring_take_run(sq, SQ, head, size, out, sizeof(out),
				       msg, sizeof(msg)),
			 (int)size);
	ck_assert_mem_eq(out, p, size);
}
END_TEST

START_TEST(impossible_sizes)
{
	uint32_t sizes[] = {0, 4, 20, 25, 4104, 0xffffffffu};
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(sq, 0, sizeof(sq));
		put(&sizes[i], 4, 8);
		msg[0] = '\0';
		ck_assert_int_eq(ring_take_run(sq, SQ, 8, 64, out, sizeof(out),
					       msg, sizeof(msg)),
				 -EPROTO);
		ck_assert_msg(strstr(msg, "sizes are 24 to 4096"), "%s", msg);
	}
	/* possible, but longer than what was submitted */
	uint32_t size = 32;
	put(&size, 4, 8);
	ck_assert_int_eq(
	    ring_take_run(sq, SQ, 8, 24, out, sizeof(out), msg, sizeof(msg)),
	    -EPROTO);
	ck_assert_msg(strstr(msg, "runs past the tail"), "%s", msg);
	ck_assert_int_eq(
	    ring_take_run(sq, SQ, 8, 2, out, sizeof(out), msg, sizeof(msg)),
	    -EPROTO);
}
END_TEST

/*
 * A run: the whole packets that fit in one copy, up to a wrong one (which
 * the next run starts with and refuses); bare nops counted from its start.
 */
START_TEST(runs_of_packets)
{
	_Alignas(8) char p[64];
	uint32_t at = SQ - 40; /* the run wraps */
	for (unsigned i = 0; i < 6; i++) {
		vgpu_bin_begin(p, sizeof(p), VGPU_K_NOP, 100 + i);
		if (i == 3) /* a fill's header: 24 bytes, not bare */
			vgpu_bin_begin(p, sizeof(p), VGPU_K_FILL, 103);
		put(p, 24, at + 24 * i);
	}
	uint32_t bad = 20; /* an impossible size after the six */
	put(&bad, 4, at + 144);
	static _Alignas(8) unsigned char big[2 * VGPU_BIN_PACKET_MAX];
	ck_assert_int_eq(
	    ring_take_run(sq, SQ, at, 200, big, sizeof(big), msg, sizeof(msg)),
	    144);
	for (unsigned i = 0; i < 6; i++)
		ck_assert_uint_eq(ring_packet_size(big + 24 * i), 24);
	ck_assert_uint_eq(ring_bare_nops(big, 144, 100), 3);
	ck_assert_uint_eq(ring_bare_nops(big, 144, 2), 2);
	ck_assert_uint_eq(ring_bare_nops(big + 96, 48, 100), 2);
	/* the next run is the wrong packet: the ring is broken there */
	msg[0] = '\0';
	ck_assert_int_eq(ring_take_run(sq, SQ, at + 144, 56, big, sizeof(big),
				       msg, sizeof(msg)),
			 -EPROTO);
	ck_assert_msg(strstr(msg, "size 20"), "%s", msg);
	/* a copy that ends inside a packet ends the run before it */
	memset(sq, 0, sizeof(sq));
	uint32_t sizes[] = {4000, 40, 40, 40};
	for (unsigned i = 0, to = 0; i < 4; to += sizes[i++])
		put(&sizes[i], 4, to);
	ck_assert_int_eq(ring_take_run(sq, SQ, 0, 4120, big,
				       VGPU_BIN_PACKET_MAX + 16, msg,
				       sizeof(msg)),
			 4080);
	ck_assert_uint_eq(ring_bare_nops(big, 4080, 100), 0);
}
END_TEST

START_TEST(spin_budget_adapts)
{
	struct vgpu_spin s;
	vgpu_spin_init(&s, 50000);
	/* spinning within the budget, looks close together */
	ck_assert(vgpu_spin_more(&s, 1000, 0));
	ck_assert(vgpu_spin_more(&s, 1500, 500));
	ck_assert(!vgpu_spin_more(&s, 2000, 50000)); /* spent */
	/* slept long after the spin: spinning did not pay, halved */
	vgpu_spin_done(&s, 1000000);
	ck_assert_uint_eq(s.budget_ns, 25000);
	/* preempted in the middle of a spin: stop now, halved */
	ck_assert(vgpu_spin_more(&s, 10000, 0));
	ck_assert(!vgpu_spin_more(&s, 10000 + VGPU_SPIN_PREEMPTED_NS + 1, 1));
	ck_assert_uint_eq(s.budget_ns, 12500);
	vgpu_spin_done(&s, 0);
	/* woken soon after giving up: a longer spin would have caught it */
	vgpu_spin_done(&s, 10000);
	ck_assert_uint_eq(s.budget_ns, 26000);
	for (int i = 0; i < 10; i++)
		vgpu_spin_done(&s, 10000);
	ck_assert_uint_eq(s.budget_ns, 50000); /* never past the bound */
	/* from nothing it grows back */
	vgpu_spin_init(&s, 50000);
	for (int i = 0; i < 20; i++)
		vgpu_spin_done(&s, 1000000);
	ck_assert_uint_eq(s.budget_ns, 0);
	ck_assert(!vgpu_spin_more(&s, 1, 0));
	vgpu_spin_done(&s, 5000);
	ck_assert_uint_eq(s.budget_ns, 1000);
}
END_TEST

/*
 * A ring side's spin (the poller's, a client's): neither a sleep nor a
 * preemption takes it below its floor, and an answer that came after it
 * gave up, but within its bound, grows it to catch the next one. (The
 * adaptive budget the sides had read a sleep's length, wake-up included,
 * and shrank on each until both slept on every round trip.)
 */
START_TEST(ring_spin_keeps_its_floor)
{
	struct vgpu_spin s;
	vgpu_spin_init_ring(&s, 20000, 100000);
	ck_assert_uint_eq(s.budget_ns, 20000);
	/* waits that ended in long sleeps, answered early (the sleep and
	 * the wake-up were what took long): never shrinks */
	for (int i = 0; i < 10; i++) {
		vgpu_spin_answered(&s, 20000, 1000);
		ck_assert_uint_eq(s.budget_ns, 20000);
	}
	/* a poller's wake-up, 33 us in: the next one is caught spinning */
	vgpu_spin_answered(&s, 20000, 33000);
	ck_assert_uint_eq(s.budget_ns, 50500);
	ck_assert(vgpu_spin_more(&s, 2000, 33000));
	vgpu_spin_done(&s, 0);
	ck_assert_uint_eq(s.budget_ns, 50500); /* spinning paid: kept */
	/* up to the bound, no further */
	vgpu_spin_answered(&s, 50500, 99000);
	ck_assert_uint_eq(s.budget_ns, 100000);
	/* an answer that came only once the spin gave up: the spin held the
	 * CPU the other side needed */
	vgpu_spin_answered(&s, 100000, 100000 + VGPU_SPIN_HANDOFF_NS - 1);
	ck_assert_uint_eq(s.budget_ns, 50000);
	vgpu_spin_answered(&s, 50000, 95000);
	ck_assert_uint_eq(s.budget_ns, 100000);
	/* preempted, again and again: down to the floor, not below */
	for (int i = 0; i < 10; i++) {
		ck_assert(vgpu_spin_more(&s, 10000, 0));
		ck_assert(
		    !vgpu_spin_more(&s, 10000 + VGPU_SPIN_PREEMPTED_NS + 1, 1));
		vgpu_spin_done(&s, 0);
	}
	ck_assert_uint_eq(s.budget_ns, 20000);
	/* an answer no spin within the bound could have caught */
	vgpu_spin_answered(&s, 20000, 99000);
	vgpu_spin_answered(&s, 100000, 5000000);
	ck_assert_uint_eq(s.budget_ns, 50000);
	for (int i = 0; i < 10; i++)
		vgpu_spin_answered(&s, 100000, 5000000);
	ck_assert_uint_eq(s.budget_ns, 20000);
	/* a wait that goes on after a sleep: the time asleep is no
	 * preemption */
	vgpu_spin_init_ring(&s, 20000, 100000);
	ck_assert(!vgpu_spin_more(&s, 1000, 20000));
	vgpu_spin_resume(&s);
	ck_assert(vgpu_spin_more(&s, 1000 + 5000000, 10000));
	ck_assert_uint_eq(s.budget_ns, 20000);
	/* a fixed window (the poller's) stays as it is whatever happens */
	vgpu_spin_init_ring(&s, 50000, 50000);
	vgpu_spin_done(&s, 1000000);
	vgpu_spin_answered(&s, 50000, 1000000);
	ck_assert(vgpu_spin_more(&s, 1000, 0));
	ck_assert(!vgpu_spin_more(&s, 1000 + VGPU_SPIN_PREEMPTED_NS + 1, 1));
	ck_assert_uint_eq(s.budget_ns, 50000);
	/* and 0 sleeps at once */
	vgpu_spin_init_ring(&s, 0, 0);
	ck_assert(!vgpu_spin_more(&s, 1, 0));
}
END_TEST

/* The nop fast path takes a bare nop and nothing else. */
START_TEST(bare_nops_only)
{
	_Alignas(8) char p[64];
	uint64_t tag = 0;
	vgpu_bin_begin(p, sizeof(p), VGPU_K_NOP, 42);
	ck_assert(ring_bare_nop(p, 24, &tag));
	ck_assert_uint_eq(tag, 42);
	ck_assert(!ring_bare_nop(p, 16, &tag)); /* not whole */
	struct vgpu_bin_header h;
	memcpy(&h, p, sizeof(h));
	struct vgpu_bin_header bad[] = {h, h, h, h};
	bad[0].flags = 1;
	bad[1].version++;
	bad[2].kernel = VGPU_K_FILL;
	bad[3].nargs = 1;
	for (unsigned i = 0; i < 4; i++)
		ck_assert_msg(!ring_bare_nop(&bad[i], 24, &tag), "case %u", i);
	vgpu_bin_put_int(p, sizeof(p), 0, VGPU_ARG_INT, 1); /* an argument */
	ck_assert(!ring_bare_nop(p, sizeof(p), &tag));
}
END_TEST

/*
 * A poller's spin stops once its last packets all came long after the
 * ring went quiet (a ring at 2,000 packets a second beside busy workers),
 * but for a probe one packet in VGPU_GAPS_PROBE, and comes back with the
 * first that comes close.
 */
START_TEST(far_packets_stop_the_spin)
{
	const uint64_t window = 50000;
	struct vgpu_gaps g = {0};
	ck_assert(vgpu_gaps_spin(&g));
	/* a round trip's gaps: always spun */
	for (int i = 0; i < 100; i++)
		vgpu_gaps_note(&g, 2000, window);
	ck_assert(vgpu_gaps_spin(&g));
	/* gaps a spin could still catch, a wake-up added, or of a client
	 * whose both sides sleep: spun */
	for (int i = 0; i < 100; i++)
		vgpu_gaps_note(&g, i % 2 ? window + 35000 : 4 * window, window);
	ck_assert(vgpu_gaps_spin(&g));
	/* 500 us apart: spun until a run of them, then one in a probe's */
	for (int i = 1; i < VGPU_GAPS_FAR_RUN; i++) {
		vgpu_gaps_note(&g, 500000, window);
		ck_assert(vgpu_gaps_spin(&g));
	}
	int spun = 0;
	for (int i = 0; i < 10 * VGPU_GAPS_PROBE; i++) {
		vgpu_gaps_note(&g, 500000, window);
		spun += vgpu_gaps_spin(&g);
		ck_assert(i + 1 < VGPU_GAPS_PROBE || spun > 0);
	}
	ck_assert_int_eq(spun, 10);
	/* one close packet (a probe's catch): spun again, and a far one
	 * alone does not stop it */
	vgpu_gaps_note(&g, 3000, window);
	ck_assert(vgpu_gaps_spin(&g));
	vgpu_gaps_note(&g, 500000, window);
	ck_assert(vgpu_gaps_spin(&g));
	/* a far one between close ones: spun throughout */
	for (int i = 0; i < 100; i++) {
		vgpu_gaps_note(&g, i % 4 ? 500000 : 3000, window);
		ck_assert(vgpu_gaps_spin(&g));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("ring");
	tcase_add_test(tc, packet_across_the_wrap);
	tcase_add_test(tc, impossible_sizes);
	tcase_add_test(tc, runs_of_packets);
	tcase_add_test(tc, spin_budget_adapts);
	tcase_add_test(tc, ring_spin_keeps_its_floor);
	tcase_add_test(tc, far_packets_stop_the_spin);
	tcase_add_test(tc, bare_nops_only);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
