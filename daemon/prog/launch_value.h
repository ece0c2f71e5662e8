/*
 * A launch's scalar and vector parameters: the text a user gave (2.5,
 * -3, 0x10, 4K, (1,2,3,4)) to the bytes of the parameter's IR type.
 */
#ifndef VGPUFSD_LAUNCH_VALUE_H
#define VGPUFSD_LAUNCH_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include <vgpucl/ir.h>

/* Bytes of the largest value: 16 lanes of 8 bytes. */
#define LAUNCH_VALUE_MAX 128

/*
 * TEXT (LEN bytes) as a value of type T into OUT (vcl_ir_type_size(t)
 * bytes): an integer type takes any integer that fits its width signed or
 * unsigned, a float type any finite number; a vector "(a,b,...)" with one
 * value a lane, or a single value for every lane. 0, or -EINVAL/-ERANGE
 * with what is wrong in WHY.
 */
int launch_value_parse(vcl_ir_type t, const char *text, size_t len,
		       uint8_t out[static LAUNCH_VALUE_MAX], const char **why);

#endif
