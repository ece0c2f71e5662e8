/*
 * Reading the device, and saying plainly why not: nothing mounted, not a
 * vgpufs device, its daemon gone. The device is opened afresh after a
 * failure, so that a restarted daemon is found again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "top.h"

void top_explain(int rc, const char *path, const char *libmsg, char *msg,
		 size_t len)
{
	switch (-rc) {
	case ENOENT:
	case ENOTDIR:
	case ENODEV:
		snprintf(msg, len,
			 "%s: not a vgpufs device (is vgpufsd running?)", path);
		break;
	case ENOTCONN:
	case ECONNABORTED:
	case ESHUTDOWN:
	case ECANCELED:
		snprintf(msg, len,
			 "%s: the device's daemon is gone (is vgpufsd "
			 "running?)",
			 path);
		break;
	default:
		if (*libmsg)
			snprintf(msg, len, "%s", libmsg);
		else
			snprintf(msg, len, "%s: %s", path, strerror(-rc));
	}
}

int top_read(const char *path, vgpu_device **dev, vgpu_stats **st, char *msg,
	     size_t len)
{
	*st = NULL;
	int rc = 0;
	if (!*dev) {
		rc = vgpu_open(path, dev);
		if (rc < 0) {
			top_explain(rc, path,
				    vgpu_last_message((vgpu_device *)NULL), msg,
				    len);
			return rc;
		}
	}
	rc = vgpu_stats_read(*dev, st);
	if (rc < 0) {
		top_explain(rc, path, vgpu_last_message(*dev), msg, len);
		vgpu_close(*dev);
		*dev = NULL;
	}
	return rc;
}
