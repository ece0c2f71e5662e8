/*
 * libFuzzer target: arbitrary bytes through the IR reader, which verifies
 * what it read. A module that passes must write back to bytes that read
 * and print the same (ASan and UBSan watch memory meanwhile).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vgpucl/ir.h>

static char text[1 << 20], again[1 << 20];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vcl_diags d;
	vcl_diags_init(&d, 0);
	struct vcl_ir_module *m = vcl_ir_read(data, size, &d);
	if (!m && d.errors == 0) {
		fprintf(stderr, "fuzz_ir_read: refused without a message\n");
		abort();
	}
	if (m) {
		vcl_ir_print(m, text, sizeof(text));
		size_t n = vcl_ir_write(m, NULL, 0);
		uint8_t *bin = malloc(n);
		if (!bin)
			abort();
		vcl_ir_write(m, bin, n);
		struct vcl_ir_module *back = vcl_ir_read(bin, n, &d);
		if (!back) {
			fprintf(stderr, "fuzz_ir_read: a verified module "
					"does not read back\n");
			abort();
		}
		vcl_ir_print(back, again, sizeof(again));
		if (strcmp(text, again) != 0) {
			fprintf(stderr, "fuzz_ir_read: the round trip "
					"changed the module\n");
			abort();
		}
		vcl_ir_free(back);
		free(bin);
		vcl_ir_free(m);
	}
	vcl_diags_free(&d);
	return 0;
}
