/*
 * The binary form of the queue, for libraries (docs/protocol.md). One
 * header for both sides: the daemon parses packets with vgpu_bin_parse()
 * into the same internal command as a text line, and clients build them
 * with the vgpu_bin_put_* functions.
 *
 * A context speaks binary when its first write starts with VGPU_BIN_MAGIC.
 * Then each write carries any number of packets (a packet may also be split
 * across writes), and each read returns whole completion records. Integers
 * are in the machine's byte order (client and daemon share the machine).
 */
#ifndef VGPUFS_BINARY_PROTO_H
#define VGPUFS_BINARY_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "command.h"

#define VGPU_BIN_MAGIC	    "\177VGPUQB\n" /* 8 bytes, no NUL */
#define VGPU_BIN_MAGIC_LEN  8
#define VGPU_BIN_VERSION    1
#define VGPU_BIN_ALIGN	    8	   /* packet and argument sizes are multiples */
#define VGPU_BIN_PACKET_MAX 4096   /* bytes, header included */
#define VGPU_BIN_NO_KERNEL  0xffff /* completion of a packet naming none */

/* A packet starts with this header, followed by NARGS arguments. */
struct vgpu_bin_header {
	uint32_t size;	  /* the whole packet, header included */
	uint16_t version; /* VGPU_BIN_VERSION */
	uint16_t kernel;  /* enum vgpu_kernel_id */
	uint32_t flags;	  /* 0; other bits are refused */
	uint32_t nargs;	  /* arguments that follow */
	uint64_t tag;	  /* anything: echoed in the completion */
};

/*
 * An argument: this, then LEN bytes of value, zero-padded to a multiple of
 * 8. Arguments not given take their defaults, as in text.
 */
struct vgpu_bin_arg {
	uint16_t index; /* position in the kernel's argument list */
	uint16_t type;	/* enum vgpu_arg_type: must be the argument's */
	uint32_t len;	/* bytes of value (see below) */
};

/*
 * Values by type: INT and BOOL an int64_t, FLOAT a double, DTYPE an
 * int64_t (enum vgpu_dtype), KEYWORD an int64_t (the word's position in
 * the argument's list), all LEN 8; BUF this (LEN 16); NAME its bytes (LEN
 * 1 to VGPU_NAME_MAX, no NUL); DIMS (launch's global, local, offset) 1 to
 * 3 uint64_t, one a dimension (LEN 8, 16 or 24).
 */
struct vgpu_bin_buf {
	uint64_t handle; /* the buffer's inode number (st_ino) */
	uint64_t offset; /* bytes */
};

/*
 * A kernel parameter of a launch (docs/protocol.md): an argument of type
 * VGPU_BIN_PARAM and index 0, whose value is this header, then NAME_LEN
 * bytes of the parameter's name (a C identifier) zero-padded to a multiple
 * of 8, then the value by kind: BUF a struct vgpu_bin_buf; INT LANES
 * int64_t; FLOAT LANES doubles; LOCAL one uint64_t (the __local bytes).
 * The daemon binds them by name against the kernel's signature exactly as
 * the text form's NAME=VALUE.
 */
#define VGPU_BIN_PARAM	   0x100
#define VGPU_BIN_LANES_MAX 16
enum vgpu_bin_param_kind {
	VGPU_BIN_PARAM_BUF = 1,
	VGPU_BIN_PARAM_INT = 2,
	VGPU_BIN_PARAM_FLOAT = 3,
	VGPU_BIN_PARAM_LOCAL = 4,
};
struct vgpu_bin_param {
	uint8_t kind;	  /* enum vgpu_bin_param_kind */
	uint8_t lanes;	  /* INT, FLOAT: 1, 2, 3, 4, 8 or 16; others 1 */
	uint8_t name_len; /* 1 to 63 */
	uint8_t reserved[5];
};

/* Every command gets one completion record, in order. */
struct vgpu_bin_completion {
	uint64_t tag;	 /* the packet's */
	uint64_t seq;	 /* 1, 2, ... within the context */
	int32_t status;	 /* 0, or -errno */
	uint16_t kernel; /* the packet's kernel, or VGPU_BIN_NO_KERNEL */
	uint16_t reserved;
	/* CLOCK_MONOTONIC; both the same for commands that did no work */
	uint64_t t_start_ns, t_end_ns;
	char msg[216]; /* NUL-terminated: why it failed; "" when ok */
};

_Static_assert(sizeof(struct vgpu_bin_header) == 24, "packet header");
_Static_assert(VGPU_ARG_BUF == 0 && VGPU_ARG_INT == 1 && VGPU_ARG_FLOAT == 2 &&
		   VGPU_ARG_DTYPE == 3 && VGPU_ARG_BOOL == 4 &&
		   VGPU_ARG_NAME == 5 && VGPU_ARG_KEYWORD == 6 &&
		   VGPU_ARG_DIMS == 7,
	       "argument types are part of the protocol");
_Static_assert(sizeof(struct vgpu_bin_arg) == 8, "argument header");
_Static_assert(sizeof(struct vgpu_bin_completion) == 256, "completion");
_Static_assert(sizeof(struct vgpu_bin_param) == 8, "parameter header");

/* Bytes a parameter's name takes in its record (zero-padded). */
static inline size_t vgpu_bin_param_name_room(unsigned name_len)
{
	return ((size_t)name_len + VGPU_BIN_ALIGN - 1) &
	       ~(size_t)(VGPU_BIN_ALIGN - 1);
}

enum vgpu_bin_kind {
	VGPU_BIN_MORE,	  /* not a whole packet yet: wait for more bytes */
	VGPU_BIN_COMMAND, /* CMD holds the command */
	VGPU_BIN_ERROR,	  /* a well-framed packet that is wrong: -errno */
	VGPU_BIN_BROKEN,  /* the size field is impossible: no resync */
};

/*
 * Parses the packet at the start of DATA (AVAIL bytes available). Sets
 * *SIZE to the packet's size for COMMAND and ERROR (consume that much),
 * *TAG and *KERNEL from the header when it is there. ERROR and BROKEN set
 * *ERR = -errno and a message in MSG. Defaults are applied; extents are
 * the validator's business, as for text.
 */
enum vgpu_bin_kind vgpu_bin_parse(const void *data, size_t avail,
				  struct vgpu_cmd *cmd, size_t *size,
				  uint64_t *tag, uint16_t *kernel, int *err,
				  char *msg, size_t msglen);

/* Fills a completion record (MSG may be NULL). */
void vgpu_bin_complete(struct vgpu_bin_completion *c, uint64_t tag,
		       uint64_t seq, int status, uint16_t kernel,
		       uint64_t t_start_ns, uint64_t t_end_ns, const char *msg);

/*
 * Building packets (clients): vgpu_bin_begin() writes a header at BUF
 * (CAP bytes of room); each put appends an argument and updates the
 * header's size and nargs. They return 0, or -ENOSPC when the packet would
 * pass CAP or VGPU_BIN_PACKET_MAX, or -EINVAL for a bad name.
 */
int vgpu_bin_begin(void *buf, size_t cap, uint16_t kernel, uint64_t tag);
int vgpu_bin_put_int(void *buf, size_t cap, uint16_t index, uint16_t type,
		     int64_t v);
int vgpu_bin_put_float(void *buf, size_t cap, uint16_t index, double v);
int vgpu_bin_put_buf(void *buf, size_t cap, uint16_t index, uint64_t handle,
		     uint64_t offset);
int vgpu_bin_put_name(void *buf, size_t cap, uint16_t index, const char *name);
/* A DIMS argument: N (1 to 3) sizes. */
int vgpu_bin_put_dims(void *buf, size_t cap, uint16_t index, unsigned n,
		      const uint64_t v[]);
/*
 * A kernel parameter NAME of KIND: VALUE points to LANES int64_t or
 * doubles, a struct vgpu_bin_buf, or a uint64_t (LOCAL).
 */
int vgpu_bin_put_param(void *buf, size_t cap, const char *name,
		       enum vgpu_bin_param_kind kind, unsigned lanes,
		       const void *value);
/* The packet's size so far (its header's size field). */
size_t vgpu_bin_size(const void *buf);

#endif
