#include <errno.h>

#include <vgpufs/errnames.h>

#define E(x) [x] = #x

static const char *const names[] = {
    E(EPERM),	  E(ENOENT),	E(ESRCH),	 E(EINTR),    E(EIO),
    E(ENXIO),	  E(E2BIG),	E(EBADF),	 E(EAGAIN),   E(ENOMEM),
    E(EACCES),	  E(EFAULT),	E(EBUSY),	 E(EEXIST),   E(ENODEV),
    E(ENOTDIR),	  E(EISDIR),	E(EINVAL),	 E(ENFILE),   E(EMFILE),
    E(EFBIG),	  E(ENOSPC),	E(ESPIPE),	 E(EROFS),    E(EDOM),
    E(ERANGE),	  E(EDEADLK),	E(ENAMETOOLONG), E(ENOSYS),   E(ENOTEMPTY),
    E(ELOOP),	  E(EOVERFLOW), E(EPROTO),	 E(EBADMSG),  E(ENOTSUP),
    E(ECANCELED), E(ETIMEDOUT), E(ESHUTDOWN),	 E(ENOTCONN), E(EMSGSIZE),
    E(EDQUOT),
};

const char *vgpu_errno_name(int err)
{
	if (err < 0)
		err = -err;
	if ((unsigned)err < sizeof(names) / sizeof(names[0]) && names[err])
		return names[err];
	return "EUNKNOWN";
}
