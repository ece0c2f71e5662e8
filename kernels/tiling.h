/*
 * How kernels split their work into tiles. plan() and run_tile() must agree
 * on the split without sharing state, so both derive it from the command
 * and the tile count with these functions.
 */
#ifndef VGPUFS_KERNELS_TILING_H
#define VGPUFS_KERNELS_TILING_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vgpufs/dtype.h>
#include <vgpufs/kernel_impl.h>

/*
 * Elementwise kernels: big enough to amortise scheduling, small enough to
 * interleave contexts and spread one command over all workers.
 */
#define VGPU_TILE_BYTES (512u << 10)
/*
 * Tiles start this many bytes apart (times a whole number) from the start
 * of the range: workers stay off each other's cache lines and pages.
 */
#define VGPU_TILE_GRAIN 4096u
/*
 * The same for kernels that keep a partial result a tile in the scratch
 * area (8 bytes each), which is zeroed for every launch.
 */
#define VGPU_PARTIAL_TILES_MAX (1u << 16)
/* BLAS lengths are int: longer runs go to OpenBLAS in pieces of this. */
#define VGPU_BLAS_CHUNK (1u << 30)

/*
 * Bytes per element of a dtype argument of the first kernels (fill, axpy,
 * dot, gemm), which take f32 and f64 only; 0 for any other. Takes the raw
 * int64 so that no out-of-range value is converted to the enum.
 */
static inline size_t vgpu_elem_size(int64_t dtype)
{
	return dtype == VGPU_F32 ? 4 : dtype == VGPU_F64 ? 8 : 0;
}

/* Bytes per element of any dtype argument; 0 for an unknown one. */
static inline size_t vgpu_any_elem_size(int64_t dtype)
{
	return dtype >= 0 && dtype < VGPU_DTYPE_COUNT
		   ? vgpu_dtype_size((enum vgpu_dtype)dtype)
		   : 0;
}

/* Tiles of CHUNK (> 0) items covering ITEMS, 1 to MAX (then larger) ones. */
static inline uint32_t vgpu_tile_count(uint64_t items, uint64_t chunk,
				       uint32_t max)
{
	uint64_t t = items / chunk + (items % chunk != 0);
	if (t < 1)
		t = 1;
	return t > max ? max : (uint32_t)t;
}

/*
 * Items [*lo, *hi) of tile T of NT covering ITEMS: equal chunks rounded up
 * to a multiple of GRAIN (> 0) items; the last tiles may be short or empty.
 */
static inline void vgpu_tile_span(uint64_t items, uint32_t t, uint32_t nt,
				  uint64_t grain, uint64_t *lo, uint64_t *hi)
{
	uint64_t chunk = items / nt + (items % nt != 0);
	chunk = (chunk + grain - 1) / grain * grain;
	uint64_t a = (uint64_t)t * chunk;
	*lo = a < items ? a : items;
	*hi = items - *lo < chunk ? items : *lo + chunk;
}

/*
 * Tiles of whole rows: ROWS rows of ROW_WORK units of work each (in any
 * unit, as TILE_WORK), about TILE_WORK a tile, a row at least.
 */
static inline uint32_t vgpu_row_tiles(uint64_t rows, double row_work,
				      double tile_work)
{
	double per_tile = floor(tile_work / fmax(row_work, 1));
	return vgpu_tile_count(rows, per_tile < 1 ? 1 : (uint64_t)per_tile,
			       VGPU_TILES_MAX);
}

/* Elementwise tiling of N elements of ES bytes, TILE_BYTES per tile. */
static inline uint32_t vgpu_elem_tiles(uint64_t n, size_t es, size_t tile_bytes,
				       uint32_t max)
{
	return es ? vgpu_tile_count(n, tile_bytes / es, max) : 1;
}

static inline void vgpu_elem_span(uint64_t n, size_t es, uint32_t t,
				  uint32_t nt, uint64_t *lo, uint64_t *hi)
{
	vgpu_tile_span(n, t, nt, VGPU_TILE_GRAIN / es, lo, hi);
}

/*
 * tile_bytes() of a kernel whose tiles are vgpu_elem_span()s of N elements
 * of SPAN_ES bytes: the range of an argument of ARG_ES bytes an element.
 */
static inline bool vgpu_elem_tile_bytes(uint64_t n, size_t span_es,
					size_t arg_es, uint32_t t, uint32_t nt,
					uint64_t *lo, uint64_t *hi)
{
	if (!span_es || !arg_es)
		return false;
	uint64_t a, b;
	vgpu_elem_span(n, span_es, t, nt, &a, &b);
	*lo = a * arg_es;
	*hi = b * arg_es;
	return true;
}

/* Part IDX of PARTS (> 0) near-equal parts of ITEMS (sizes differ by <= 1). */
static inline void vgpu_split_even(uint64_t items, uint64_t parts, uint64_t idx,
				   uint64_t *lo, uint64_t *hi)
{
	uint64_t q = items / parts, r = items % parts;
	*lo = idx * q + (idx < r ? idx : r);
	*hi = *lo + q + (idx < r);
}

#endif
