/* The text form of the queue: command lines in, completion lines out. */
#ifndef VGPUFS_TEXT_PROTO_H
#define VGPUFS_TEXT_PROTO_H

#include "command.h"

enum vgpu_line_kind {
	VGPU_LINE_EMPTY,   /* blank or comment: no command, no completion */
	VGPU_LINE_COMMAND, /* CMD holds the parsed command */
	VGPU_LINE_ERROR,   /* a command line with an error: -errno returned */
};

/*
 * Parses one line (without its newline). Buffer names in CMD point into
 * LINE. On error returns VGPU_LINE_ERROR, *ERR = -errno and a message in
 * MSG that names the kernel (when known) and what is wrong. Defaults are
 * applied to arguments that were not given. Argument relations and buffer
 * extents are not checked here: see validate.h.
 */
enum vgpu_line_kind vgpu_text_parse(const char *line, size_t len,
				    struct vgpu_cmd *cmd, int *err, char *msg,
				    size_t msglen);

/*
 * A buffer reference "PATH[+BYTEOFFSET]" (PATH under mem/, no '.', '..' or
 * empty parts) into REF, whose name points into S; errors name KNAME and
 * ANAME. 0, or -EINVAL/-ERANGE/-ENAMETOOLONG with a message.
 */
int vgpu_parse_bufref(const char *kname, const char *aname, const char *s,
		      size_t len, struct vgpu_bufref *ref, char *msg,
		      size_t msglen);

/* Integer with optional K/M/G/T (powers of 1024) suffix; -EINVAL/-ERANGE. */
int vgpu_parse_int(const char *s, size_t len, int64_t *out);
/* Finite C floating-point literal; -EINVAL/-ERANGE. */
int vgpu_parse_float(const char *s, size_t len, double *out);

/*
 * Completion lines. Each returns the length written (always '\n'
 * terminated, truncated to fit LEN, which must be at least 64).
 */
size_t vgpu_format_ok(char *buf, size_t len, uint64_t seq, const char *kernel,
		      uint64_t elapsed_us);
size_t vgpu_format_err(char *buf, size_t len, uint64_t seq, int err,
		       const char *msg);
/*
 * The status a completion LINE reports, read back: 0 for "SEQ ok ...",
 * -errno for "SEQ err ENAME: ..." (-EIO for a name the table lacks),
 * -EPROTO for anything else.
 */
int vgpu_completion_status(const char *line);

#endif
