/*
 * The one table of errno names, shared by the daemon's completions
 * ("1 err EINVAL: ..."), libvgpu (vgpu_errname, and reading a completion's
 * name back) and the tools. The names are glibc's (strerrorname_np): for
 * an errno with two names the one listed here, as EOPNOTSUPP for 95, which
 * is also ENOTSUP on Linux, EAGAIN for EWOULDBLOCK and EDEADLK for
 * EDEADLOCK.
 */
#include <errno.h>
#include <string.h>

#include <vgpufs/errnames.h>

#define E(x) [x] = #x

/* In columns: clang-format would give each its own line. */
// clang-format off
static const char *const names[] = {
	E(EPERM),           E(ENOENT),          E(ESRCH),
	E(EINTR),           E(EIO),             E(ENXIO),
	E(E2BIG),           E(ENOEXEC),         E(EBADF),
	E(ECHILD),          E(EAGAIN),          E(ENOMEM),
	E(EACCES),          E(EFAULT),          E(ENOTBLK),
	E(EBUSY),           E(EEXIST),          E(EXDEV),
	E(ENODEV),          E(ENOTDIR),         E(EISDIR),
	E(EINVAL),          E(ENFILE),          E(EMFILE),
	E(ENOTTY),          E(ETXTBSY),         E(EFBIG),
	E(ENOSPC),          E(ESPIPE),          E(EROFS),
	E(EMLINK),          E(EPIPE),           E(EDOM),
	E(ERANGE),          E(EDEADLK),         E(ENAMETOOLONG),
	E(ENOLCK),          E(ENOSYS),          E(ENOTEMPTY),
	E(ELOOP),           E(ENOMSG),          E(EIDRM),
	E(ECHRNG),          E(EL2NSYNC),        E(EL3HLT),
	E(EL3RST),          E(ELNRNG),          E(EUNATCH),
	E(ENOCSI),          E(EL2HLT),          E(EBADE),
	E(EBADR),           E(EXFULL),          E(ENOANO),
	E(EBADRQC),         E(EBADSLT),         E(EBFONT),
	E(ENOSTR),          E(ENODATA),         E(ETIME),
	E(ENOSR),           E(ENONET),          E(ENOPKG),
	E(EREMOTE),         E(ENOLINK),         E(EADV),
	E(ESRMNT),          E(ECOMM),           E(EPROTO),
	E(EMULTIHOP),       E(EDOTDOT),         E(EBADMSG),
	E(EOVERFLOW),       E(ENOTUNIQ),        E(EBADFD),
	E(EREMCHG),         E(ELIBACC),         E(ELIBBAD),
	E(ELIBSCN),         E(ELIBMAX),         E(ELIBEXEC),
	E(EILSEQ),          E(ERESTART),        E(ESTRPIPE),
	E(EUSERS),          E(ENOTSOCK),        E(EDESTADDRREQ),
	E(EMSGSIZE),        E(EPROTOTYPE),      E(ENOPROTOOPT),
	E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EOPNOTSUPP),
	E(EPFNOSUPPORT),    E(EAFNOSUPPORT),    E(EADDRINUSE),
	E(EADDRNOTAVAIL),   E(ENETDOWN),        E(ENETUNREACH),
	E(ENETRESET),       E(ECONNABORTED),    E(ECONNRESET),
	E(ENOBUFS),         E(EISCONN),         E(ENOTCONN),
	E(ESHUTDOWN),       E(ETOOMANYREFS),    E(ETIMEDOUT),
	E(ECONNREFUSED),    E(EHOSTDOWN),       E(EHOSTUNREACH),
	E(EALREADY),        E(EINPROGRESS),     E(ESTALE),
	E(EUCLEAN),         E(ENOTNAM),         E(ENAVAIL),
	E(EISNAM),          E(EREMOTEIO),       E(EDQUOT),
	E(ENOMEDIUM),       E(EMEDIUMTYPE),     E(ECANCELED),
	E(ENOKEY),          E(EKEYEXPIRED),     E(EKEYREVOKED),
	E(EKEYREJECTED),    E(EOWNERDEAD),      E(ENOTRECOVERABLE),
	E(ERFKILL),         E(EHWPOISON),
};
// clang-format on

#define NNAMES (sizeof(names) / sizeof(names[0]))

const char *vgpu_errno_name(int err)
{
	if (err < 0)
		err = -err;
	if ((unsigned)err < NNAMES && names[err])
		return names[err];
	return "EUNKNOWN";
}

int vgpu_errno_of_name(const char *name, size_t len)
{
	for (unsigned e = 1; e < NNAMES; e++)
		if (names[e] && strlen(names[e]) == len &&
		    memcmp(names[e], name, len) == 0)
			return (int)e;
	return 0;
}
