/*
 * libFuzzer target: kernel signatures' text (vgpufs/kernel_sig.h), which
 * libvgpu reads from a file attribute, through the parser; what parses
 * prints back to the same line and parses to the same signature.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <vgpufs/kernel_sig.h>

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vgpu_sig_kernel k, again;
	static char out[VGPU_SIG_LINE_MAX];
	char msg[256];
	const char *text = (const char *)data;
	/* the first line, by name, as vgpuModuleGetFunction finds it */
	int rc = vgpu_sig_find(text, size, "k", &k, msg, sizeof(msg));
	fuzz_expect(rc == 0 || rc == -ENOENT || (rc == -EINVAL && msg[0]),
		    "a refusal without a message");
	const char *nl = memchr(text, '\n', size);
	size_t len = nl ? (size_t)(nl - text) : size;
	if (vgpu_sig_parse_line(text, len, &k, msg, sizeof(msg)) < 0)
		return 0;
	size_t n = vgpu_sig_format(&k, out, sizeof(out));
	fuzz_expect(n < sizeof(out), "a parsed signature longer than a line");
	fuzz_expect(n == len + 1 && memcmp(out, text, len) == 0,
		    "a parsed signature printed otherwise");
	fuzz_expect(vgpu_sig_parse_line(out, n - 1, &again, msg, sizeof(msg)) ==
			    0 &&
			memcmp(&k, &again, sizeof(k)) == 0,
		    "a printed signature parsed otherwise");
	return 0;
}
