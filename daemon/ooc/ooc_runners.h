/* The out-of-core runners ooc_select() chooses from (ooc.h). */
#ifndef VGPUFSD_OOC_RUNNERS_H
#define VGPUFSD_OOC_RUNNERS_H

#include "ooc/ooc.h"

/*
 * Kernels that say which bytes each tile touches (tile_bytes): their own
 * tiles, run on windows of the data staged with io_uring (ooc_stream.c).
 */
extern const struct ooc_runner ooc_stream_runner;
/* gemm whose matrices do not fit the staging memory: blocked (ooc_gemm.c). */
extern const struct ooc_runner ooc_gemm_runner;

#endif
