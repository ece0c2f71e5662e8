#include <vgpucl/token.h>

static const char *const spellings[VCL_T_COUNT] = {
#define VCL_X(name, s) [VCL_T_##name] = s,
    VCL_PUNCTUATORS(VCL_X)
#undef VCL_X
#define VCL_X(name, s) [VCL_T_KW_##name] = s,
	VCL_KEYWORDS(VCL_X)
#undef VCL_X
};

const char *vcl_tok_spelling(enum vcl_tok kind)
{
	return kind < VCL_T_COUNT ? spellings[kind] : NULL;
}

const char *vcl_tok_kind_name(enum vcl_tok kind)
{
	switch (kind) {
	case VCL_T_EOF:
		return "end of file";
	case VCL_T_NEWLINE:
		return "end of line";
	case VCL_T_IDENT:
		return "identifier";
	case VCL_T_PP_NUMBER:
	case VCL_T_INT_LIT:
	case VCL_T_FLOAT_LIT:
		return "number";
	case VCL_T_CHAR_CONST:
		return "character constant";
	case VCL_T_STRING:
		return "string literal";
	case VCL_T_VECTOR_TYPE:
		return "vector type name";
	default:
		return kind >= VCL_T_KW_AUTO ? "keyword" : "punctuator";
	}
}
