/*
 * libvgpu: the C client library of vgpufs (docs/libvgpu.md).
 *
 * Everything goes through the device's files: buffers are files under
 * mem/ (mapped zero-copy), a stream is an open() of queue speaking the
 * binary protocol, and kernels are named as in `ls kernels/`.
 *
 * Errors: functions return 0 (or a positive count or id) on success and a
 * negative errno value on failure; vgpu_last_message() gives the words
 * that go with the last failure (the daemon's own message for a failed
 * command).
 *
 * Threads: a device may be used from any number of threads. A buffer or a
 * stream is used by one thread at a time (give each thread its own
 * stream, or lock around it).
 */
#ifndef VGPU_VGPU_H
#define VGPU_VGPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VGPU_API __attribute__((visibility("default")))

#define VGPU_DEFAULT_DEVICE "/dev/vgpu0"
#define VGPU_MESSAGE_MAX    256 /* longest message, terminator included */

typedef struct vgpu_device vgpu_device;
typedef struct vgpu_buffer vgpu_buffer;
typedef struct vgpu_stream vgpu_stream;

/* The library's version, "MAJOR.MINOR.PATCH". */
VGPU_API const char *vgpu_version(void);

/* --- Errors ------------------------------------------------------------ */

/* "Invalid argument" for -EINVAL (or EINVAL); never NULL. */
VGPU_API const char *vgpu_strerror(int err);
/* "EINVAL" for -EINVAL (or EINVAL), as completions print them. */
VGPU_API const char *vgpu_errname(int err);
/*
 * The message of the last failure: use vgpu_last_message(x) with a device
 * or a stream. A stream's is that of the last refused call on it, or of
 * the failed command a vgpu_wait() just returned (the daemon's message,
 * e.g. "gemm: buffer 'b' holds 4096 bytes, needs 4194304 (k*n*4)"), or of
 * the last failed command read otherwise. A device's is the last failure
 * of any call or command on it; for a NULL device, that of the last
 * vgpu_open() of the calling thread. "" when there was none.
 */
VGPU_API const char *vgpu_device_last_message(const vgpu_device *dev);
VGPU_API const char *vgpu_stream_last_message(const vgpu_stream *s);
#define vgpu_last_message(x)                                                   \
	_Generic((x),                                                         \
	    vgpu_stream *: vgpu_stream_last_message,                           \
	    const vgpu_stream *: vgpu_stream_last_message,                     \
	    default: vgpu_device_last_message)(x)

/* --- Device ------------------------------------------------------------ */

/*
 * Opens the device mounted at MOUNTPOINT; NULL means $VGPU_DEVICE, or
 * /dev/vgpu0 when that is not set. -ENODEV when the directory is not a
 * vgpufs device, -ENOTCONN when its daemon is gone, -EPROTONOSUPPORT when
 * it speaks another protocol version.
 */
VGPU_API int vgpu_open(const char *mountpoint, vgpu_device **dev);
/*
 * Lets the device go. Buffers and streams still open keep it alive until
 * they are closed.
 */
VGPU_API void vgpu_close(vgpu_device *dev);
/* The mount point it was opened at. */
VGPU_API const char *vgpu_device_path(const vgpu_device *dev);

/* What the device's info file says (read afresh at each call). */
typedef struct vgpu_info {
	char name[64];	   /* "vgpu0" */
	char version[32];  /* the daemon's, "0.1.0" */
	int protocol;	   /* binary protocol version */
	unsigned workers;  /* threads that run kernels */
	uint64_t capacity; /* bytes of buffer memory, every tier */
	uint64_t used;	   /* bytes in use */
	char tiers[64];	   /* "ram" */
	unsigned kernels;  /* number of kernels served */
} vgpu_info;

VGPU_API int vgpu_info_get(vgpu_device *dev, vgpu_info *info);
/*
 * The value of any KEY of the info file ("tier.ram.capacity", "kernels",
 * ...) into BUF; -ENOENT when there is no such key, -ERANGE when BUF is
 * too small.
 */
VGPU_API int vgpu_info_value(vgpu_device *dev, const char *key, char *buf,
			     size_t len);

/* --- Buffers ------------------------------------------------------------ */

/* Access a buffer is opened for. */
enum { VGPU_READ = 1, VGPU_WRITE = 2, VGPU_RDWR = 3 };

/*
 * Creates the buffer mem/NAME (a path relative to mem/; its directories
 * must exist) of SIZE bytes, zeroed, with MODE (the umask applies), open
 * for reading and writing. -EEXIST when it exists, -ENOSPC beyond the
 * device's capacity (then nothing is left behind). A NULL NAME makes an
 * anonymous buffer, named ".anon-PID-N", removed when it is closed.
 */
VGPU_API int vgpu_buffer_create(vgpu_device *dev, const char *name,
				uint64_t size, mode_t mode, vgpu_buffer **buf);
/* Opens the existing buffer mem/NAME for ACCESS (VGPU_READ, ...). */
VGPU_API int vgpu_buffer_open(vgpu_device *dev, const char *name, int access,
			      vgpu_buffer **buf);
/* Unmaps and closes (and removes an anonymous buffer). NULL is fine. */
VGPU_API void vgpu_buffer_close(vgpu_buffer *buf);
/*
 * Removes mem/NAME; its memory goes when the last user (open, mapping,
 * queued command) is gone.
 */
VGPU_API int vgpu_buffer_remove(vgpu_device *dev, const char *name);

/* Its handle in the binary protocol: the file's inode number. */
VGPU_API uint64_t vgpu_buffer_handle(const vgpu_buffer *buf);
/* Its name under mem/. */
VGPU_API const char *vgpu_buffer_name(const vgpu_buffer *buf);
/* Its open file, for read()/write()/fstat(); owned by the buffer. */
VGPU_API int vgpu_buffer_fd(const vgpu_buffer *buf);
/* Its current size in bytes, or -errno. */
VGPU_API int64_t vgpu_buffer_size(vgpu_buffer *buf);
/*
 * Changes its size (new bytes are zero). -EBUSY when mapped and SIZE would
 * cut the mapping, or (from the daemon) when shrinking a buffer that a
 * queued command uses.
 */
VGPU_API int vgpu_buffer_resize(vgpu_buffer *buf, uint64_t size);
/*
 * Maps the whole buffer (MAP_SHARED, readable, and writable when open for
 * writing) and sets *ADDR. Mapping again gives the same address. The
 * mapping is the buffer's memory itself: what kernels write is there once
 * their completion has been read, and what is written there is seen by
 * the commands launched after. -EINVAL for an empty buffer.
 */
VGPU_API int vgpu_buffer_map(vgpu_buffer *buf, void **addr);
VGPU_API int vgpu_buffer_unmap(vgpu_buffer *buf);
/*
 * The buffer of DEV whose mapping holds ADDR, and ADDR's offset in it
 * (OFFSET may be NULL); NULL when no mapped buffer holds it.
 */
VGPU_API vgpu_buffer *vgpu_buffer_at(vgpu_device *dev, const void *addr,
				     uint64_t *offset);

/* An entry of mem/, for vgpu_list(). */
typedef struct vgpu_entry {
	const char *name; /* relative to mem/: "run1/input" */
	bool is_dir;
	uint64_t size;	 /* bytes */
	uint64_t handle; /* inode number */
	uid_t uid;
	gid_t gid;
	mode_t mode; /* permission bits and file type, as st_mode */
	/* "ram" or "disk"; a directory's default tier, or "" (none) */
	const char *tier;
} vgpu_entry;

/*
 * Calls FN for every entry under mem/DIR (NULL or "" for mem/ itself),
 * depth first, each directory's entries in name order, a directory before
 * its contents. Stops when FN returns non-zero and returns that value.
 */
VGPU_API int vgpu_list(vgpu_device *dev, const char *dir,
		       int (*fn)(const vgpu_entry *entry, void *arg),
		       void *arg);

/* --- Streams ------------------------------------------------------------ */

/*
 * A stream is a context of the device (an open() of queue): its commands
 * run one after another in the order launched; different streams run
 * concurrently. Commands are numbered 1, 2, ... within a stream: a
 * launch returns that number, the command id.
 */
VGPU_API int vgpu_stream_create(vgpu_device *dev, vgpu_stream **s);
/*
 * Sends what is still batched, then closes: the commands run to the end
 * but their results are dropped. Returns 0 or the error of that last send.
 */
VGPU_API int vgpu_stream_destroy(vgpu_stream *s);
/*
 * The stream's file descriptor, for poll()/epoll: POLLIN when a completion
 * is ready to be read (then vgpu_stream_process() reads it without
 * blocking). Launches are batched: vgpu_flush() before polling.
 */
VGPU_API int vgpu_stream_fd(const vgpu_stream *s);
/*
 * Launches are gathered and sent in one write() when MAX_COMMANDS are
 * batched (default 256, at most 1024), when the batch buffer fills, and at
 * every flush or wait. 1 sends every launch at once.
 */
VGPU_API int vgpu_stream_set_batch(vgpu_stream *s, unsigned max_commands);
/*
 * How a thread waiting for a completion on a ring stream waits (like
 * cudaDeviceScheduleSpin, Yield, BlockingSync): VGPU_WAIT_AUTO (the
 * default) spins 20 us (up to 100 us as it adapts to the daemon's answers;
 * none on a machine of one CPU), then sleeps; VGPU_WAIT_SPIN spins,
 * VGPU_WAIT_YIELD spins calling sched_yield(), both until the completion
 * comes; VGPU_WAIT_BLOCK sleeps at once. Streams on queue always sleep in
 * read().
 */
enum vgpu_wait_mode {
	VGPU_WAIT_AUTO,
	VGPU_WAIT_SPIN,
	VGPU_WAIT_YIELD,
	VGPU_WAIT_BLOCK,
};
VGPU_API int vgpu_stream_set_wait(vgpu_stream *s, enum vgpu_wait_mode mode);
/* Whether S submits through a ring (1) or queue (0). */
VGPU_API int vgpu_stream_uses_ring(const vgpu_stream *s);
/* Sends every batched launch to the device. */
VGPU_API int vgpu_flush(vgpu_stream *s);

/*
 * Waits until command CMD of S has completed. Returns its status: 0 when
 * it succeeded, its negative errno when it failed (the daemon's message:
 * vgpu_last_message(s) or vgpu_result_get()). A failure to wait is also a
 * negative errno: -EINTR (a signal; wait again), -ETIMEDOUT, -ENOTCONN,
 * -ECONNABORTED or -ESHUTDOWN (the device went away: the stream is
 * broken for good); vgpu_completed(s) >= CMD tells the two apart. -EINVAL
 * for an id never returned by a launch of S; -ESTALE when CMD completed
 * more than 4096 commands ago and its result is no longer kept.
 */
VGPU_API int vgpu_wait(vgpu_stream *s, int64_t cmd);
/* The same, giving up after TIMEOUT_MS milliseconds (-1: never). */
VGPU_API int vgpu_wait_timeout(vgpu_stream *s, int64_t cmd, int timeout_ms);
/*
 * Waits for every command launched on S. Returns 0 when all that completed
 * since the previous vgpu_wait_all() succeeded; else the status of the
 * last one that failed (its message: vgpu_last_message(s)).
 */
VGPU_API int vgpu_wait_all(vgpu_stream *s);
/*
 * Without blocking: 1 when CMD has completed, 0 when not yet (sends it if
 * it was still batched), or -errno.
 */
VGPU_API int vgpu_query(vgpu_stream *s, int64_t cmd);
/*
 * Reads the completions that are ready, without blocking; returns how
 * many, or -errno. For event loops, when the fd is readable.
 */
VGPU_API int vgpu_stream_process(vgpu_stream *s);
/* The highest command id launched on S / whose completion has been read. */
VGPU_API int64_t vgpu_submitted(const vgpu_stream *s);
VGPU_API int64_t vgpu_completed(const vgpu_stream *s);
/* Commands of S that have failed so far. */
VGPU_API uint64_t vgpu_stream_failures(const vgpu_stream *s);

/* The result of one command. */
typedef struct vgpu_result {
	int64_t cmd;
	int status;	    /* 0, or a negative errno */
	const char *kernel; /* "gemm"; "?" when the packet named none */
	/* CLOCK_MONOTONIC; equal for commands that did no work */
	uint64_t start_ns, end_ns;
	/*
	 * The daemon's message for a failure; "" when it succeeded, or when
	 * it is one of the failures older than the last 256 of the stream.
	 */
	char message[VGPU_MESSAGE_MAX];
} vgpu_result;

/*
 * The result of CMD, once completed: -EAGAIN when it has not completed
 * yet (see vgpu_wait), -ESTALE when it is older than the last 4096
 * completions of the stream (results are not kept forever).
 */
VGPU_API int vgpu_result_get(vgpu_stream *s, int64_t cmd, vgpu_result *res);

/* --- Launching kernels -------------------------------------------------- */

/* Element types (dtype= arguments); values are the protocol's. */
typedef enum vgpu_type {
	VGPU_TYPE_F32 = 0,
	VGPU_TYPE_F64 = 1,
	VGPU_TYPE_I32 = 2,
	VGPU_TYPE_U8 = 3,
	VGPU_TYPE_BF16 = 4, /* bfloat16: cast, gemm inputs */
} vgpu_type;

enum vgpu_arg_kind {
	VGPU_KIND_END = 0, /* ends an argument list */
	VGPU_KIND_BUF,	   /* a buffer and a byte offset */
	VGPU_KIND_PTR,	   /* an address inside a mapped buffer */
	VGPU_KIND_I64,	   /* integer arguments; also floats and bools */
	VGPU_KIND_F64,	   /* float arguments */
	VGPU_KIND_DTYPE,   /* dtype arguments */
	VGPU_KIND_BOOL,	   /* bool arguments (transa=...) */
	VGPU_KIND_NAME,	   /* name arguments (an event's) */
};

/* One named argument of a launch: make them with the macros below. */
typedef struct vgpu_arg {
	const char *name; /* as `cat kernels/KERNEL` lists it: "a", "m" */
	enum vgpu_arg_kind kind;
	union {
		struct {
			vgpu_buffer *buf;
			uint64_t offset;
		} buf;
		const void *ptr;
		int64_t i;
		double f;
		const char *s;
	} v;
} vgpu_arg;

#define VGPU_BUF(n, b, off)                                                    \
	((vgpu_arg){.name = (n), .kind = VGPU_KIND_BUF, .v.buf = {(b), (off)}})
#define VGPU_PTR(n, p)                                                         \
	((vgpu_arg){.name = (n), .kind = VGPU_KIND_PTR, .v.ptr = (p)})
#define VGPU_I64(n, x)                                                         \
	((vgpu_arg){.name = (n), .kind = VGPU_KIND_I64, .v.i = (x)})
#define VGPU_F64(n, x)                                                         \
	((vgpu_arg){.name = (n), .kind = VGPU_KIND_F64, .v.f = (x)})
#define VGPU_DTYPE(n, t)                                                       \
	((vgpu_arg){.name = (n), .kind = VGPU_KIND_DTYPE, .v.i = (t)})
#define VGPU_BOOL(n, x)                                                        \
	((vgpu_arg){.name = (n), .kind = VGPU_KIND_BOOL, .v.i = !!(x)})
#define VGPU_NAME(n, str)                                                      \
	((vgpu_arg){.name = (n), .kind = VGPU_KIND_NAME, .v.s = (str)})
#define VGPU_END ((vgpu_arg){.name = NULL, .kind = VGPU_KIND_END})

/*
 * Launches KERNEL on S with NARGS arguments (any order; those not given
 * take their defaults). Returns the command id (> 0) at once: the command
 * is batched, then runs after the earlier commands of S; its result comes
 * with vgpu_wait(). A wrong launch that the library can see (unknown
 * kernel or argument, an argument given twice or of the wrong kind, a
 * pointer outside every mapped buffer) returns a negative errno and uses
 * no id; everything else (missing arguments, extents, permissions) is the
 * daemon's to check and comes as the command's status.
 */
VGPU_API int64_t vgpu_launch(vgpu_stream *s, const char *kernel,
			     const vgpu_arg *args, size_t nargs);
/* The same with the arguments listed, ending with VGPU_END. */
VGPU_API int64_t vgpu_launchl(vgpu_stream *s, const char *kernel, ...);
/* vgpu_launchl() with the VGPU_END added: VGPU_LAUNCH(s, "nop"). */
#define VGPU_LAUNCH(s, ...) vgpu_launchl((s), __VA_ARGS__, VGPU_END)

/* --- Programs: OpenCL C kernels of your own (docs/kernels-opencl.md) --- */

/*
 * Creates the buffer mem/NAME (NULL: an anonymous one) holding the
 * program's LEN bytes: OpenCL C source or the IR vgpucc -o writes. The
 * program is that buffer: launch it with vgpu_launch_kernel(), close it
 * with vgpu_buffer_close(). Nothing is compiled yet.
 */
VGPU_API int vgpu_program_load(vgpu_device *dev, const char *name,
			       const void *code, size_t len,
			       vgpu_buffer **prog);
/* The same with the bytes of the file PATH. */
VGPU_API int vgpu_program_load_file(vgpu_device *dev, const char *name,
				    const char *path, vgpu_buffer **prog);
/*
 * Compiles PROG (the daemon keeps the result for its launches) and waits:
 * 0, or -EINVAL with the compiler's diagnostics (FILE:LINE:COL: error:
 * ...) in MSG (MSGLEN bytes, may be 0) and the device's message.
 */
VGPU_API int vgpu_program_build(vgpu_buffer *prog, char *msg, size_t msglen);

/* An NDRange: DIMS (1 to 3) sizes; LOCAL all 0: the device picks. */
typedef struct vgpu_ndrange {
	unsigned dims;
	uint64_t global[3], local[3], offset[3];
} vgpu_ndrange;

enum vgpu_karg_kind {
	VGPU_KARG_BUF = 1,   /* a __global or __constant pointer */
	VGPU_KARG_INT = 2,   /* integer scalar or vector: LANES of v.i */
	VGPU_KARG_FLOAT = 3, /* float or double scalar or vector: v.f */
	VGPU_KARG_LOCAL = 4, /* a __local pointer: v.local bytes */
};

/* A kernel parameter by name: make them with the macros below. */
typedef struct vgpu_karg {
	const char *name; /* the kernel's own parameter name */
	enum vgpu_karg_kind kind;
	unsigned lanes; /* INT, FLOAT: 1, or a vector's 2, 3, 4, 8, 16 */
	union {
		struct {
			vgpu_buffer *buf;
			uint64_t offset;
		} buf;
		int64_t i[16];
		double f[16];
		uint64_t local;
	} v;
} vgpu_karg;

#define VGPU_KBUF(n, b, off)                                                   \
	((vgpu_karg){.name = (n),                                              \
		     .kind = VGPU_KARG_BUF,                                    \
		     .lanes = 1,                                               \
		     .v.buf = {(b), (off)}})
#define VGPU_KINT(n, x)                                                        \
	((vgpu_karg){                                                          \
	    .name = (n), .kind = VGPU_KARG_INT, .lanes = 1, .v.i = {(x)}})
#define VGPU_KFLOAT(n, x)                                                      \
	((vgpu_karg){                                                          \
	    .name = (n), .kind = VGPU_KARG_FLOAT, .lanes = 1, .v.f = {(x)}})
#define VGPU_KLOCAL(n, bytes)                                                  \
	((vgpu_karg){.name = (n),                                              \
		     .kind = VGPU_KARG_LOCAL,                                  \
		     .lanes = 1,                                               \
		     .v.local = (bytes)})
/* Vectors: VGPU_KFLOATV("c", 4, 1.0, 2.0, 3.0, 4.0). */
#define VGPU_KINTV(n, l, ...)                                                  \
	((vgpu_karg){.name = (n),                                              \
		     .kind = VGPU_KARG_INT,                                    \
		     .lanes = (l),                                             \
		     .v.i = {__VA_ARGS__}})
#define VGPU_KFLOATV(n, l, ...)                                                \
	((vgpu_karg){.name = (n),                                              \
		     .kind = VGPU_KARG_FLOAT,                                  \
		     .lanes = (l),                                             \
		     .v.f = {__VA_ARGS__}})

/*
 * Launches KERNEL of PROG on S over ND with its NARGS parameters (by
 * name, any order), batched like vgpu_launch(): the command id (> 0), or
 * a negative errno for what the library can see (a NULL or bad name, a
 * bad NDRange, lanes, a parameter given twice, a packet too large). The
 * daemon binds the parameters against the kernel's signature exactly as
 * the text form's: a missing, unknown or ill-typed parameter, a compile
 * error or a buffer you may not write comes as the command's status.
 */
VGPU_API int64_t vgpu_launch_kernel(vgpu_stream *s, vgpu_buffer *prog,
				    const char *kernel, const vgpu_ndrange *nd,
				    const vgpu_karg *args, size_t nargs);

/* --- Text commands ------------------------------------------------------ */

/*
 * Runs one text command LINE ("fill buf=x value=1 n=16", docs/commands.md)
 * on a new context of its own, waits for it, and copies its completion
 * line (without newline, "1 ok fill 12") into REPLY when not NULL.
 * Returns 0 when the command succeeded, its negative errno when it failed,
 * -EINVAL when LINE holds no command or more than one line.
 */
VGPU_API int vgpu_run_text(vgpu_device *dev, const char *line, char *reply,
			   size_t len);

/* --- Stats ------------------------------------------------------------- */

/*
 * One reading of the device's stats file (docs/file-tree.md), parsed: the
 * counters since the daemon started. Rates come from two readings: e.g.
 * commands per second = the difference of commands_total over that of
 * uptime_seconds (to the microsecond: readings closer than that give a
 * difference of 0, to be checked before dividing). The arrays are owned by the
 * snapshot. The library allocates snapshots: later versions may add fields at
 * the ends of these structures.
 */
typedef struct vgpu_stats_worker {
	double busy_seconds; /* time in kernel tiles */
	char kernel[32];     /* what it runs now; "-" when idle */
} vgpu_stats_worker;

typedef struct vgpu_stats_tier {
	char name[16]; /* "ram" */
	uint64_t used_bytes, total_bytes;
} vgpu_stats_tier;

typedef struct vgpu_stats_kernel {
	char name[32];
	uint64_t count, failed, flops, bytes;
	double seconds;
} vgpu_stats_kernel;

/* An open context (queue file) the reader may see: its own, or all for root. */
typedef struct vgpu_stats_context {
	uint64_t id;
	pid_t pid; /* the process that opened it */
	uid_t uid;
	char comm[16]; /* its command name */
	unsigned queued, inflight;
	uint64_t submitted, completed, failed;
	double busy_seconds; /* worker time its commands used */
	char running[32];    /* the kernel it runs now; "-" when none */
	uint64_t mem_bytes;  /* memory of the buffers its process created */
} vgpu_stats_context;

/*
 * The buffers of an owner the reader may see: its own, or all for root.
 * Under --user-quota, each user but root has QUOTA bytes of the RAM tier,
 * QUOTA_USED of them in use; QUOTA is 0 without quotas (and for root).
 */
typedef struct vgpu_stats_user {
	uid_t uid;
	uint64_t buffers, bytes;
	uint64_t quota_used, quota;
} vgpu_stats_user;

/*
 * A user's kernel (launch prog=PROGRAM kernel=KERNEL) the reader may see:
 * its own, or all for root; its launches by UID, counted like KERNELS'.
 */
typedef struct vgpu_stats_program {
	uid_t uid;
	char program[160]; /* the program's path under mem/ */
	char kernel[64];
	uint64_t count, failed, bytes;
	double seconds;
} vgpu_stats_program;

typedef struct vgpu_stats {
	char version[32]; /* the daemon's */
	double uptime_seconds;
	double busy_seconds;	/* all workers' */
	uint64_t open_contexts; /* all users' */
	uint64_t blocked_readers, buffers;
	uint64_t commands_total, commands_failed, flops_total, bytes_total;
	unsigned nworkers;
	vgpu_stats_worker *workers;
	size_t ntiers;
	vgpu_stats_tier *tiers;
	size_t nkernels;
	vgpu_stats_kernel *kernels;
	size_t ncontexts;
	vgpu_stats_context *contexts;
	size_t nusers;
	vgpu_stats_user *users;
	size_t nprograms;
	vgpu_stats_program *programs;
} vgpu_stats;

/*
 * Reads the stats file of DEV into a new snapshot (free it with
 * vgpu_stats_free). -ENOTCONN or -ECONNABORTED when the daemon is gone,
 * -EPROTO when the file is not what a vgpufs daemon writes.
 */
VGPU_API int vgpu_stats_read(vgpu_device *dev, vgpu_stats **stats);
/*
 * Parses TEXT, the contents of a stats file; keys it does not know are
 * skipped. -EPROTO (no "workers" key, or a malformed line), -ENOMEM.
 */
VGPU_API int vgpu_stats_parse(const char *text, vgpu_stats **stats);
/* NULL is fine. */
VGPU_API void vgpu_stats_free(vgpu_stats *stats);

#ifdef __cplusplus
}
#endif

#endif
