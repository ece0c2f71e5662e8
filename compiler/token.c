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

int vcl_tok_binary_precedence(enum vcl_tok k)
{
	switch (k) {
	case VCL_T_STAR:
	case VCL_T_SLASH:
	case VCL_T_PERCENT:
		return 10;
	case VCL_T_PLUS:
	case VCL_T_MINUS:
		return 9;
	case VCL_T_SHL:
	case VCL_T_SHR:
		return 8;
	case VCL_T_LT:
	case VCL_T_GT:
	case VCL_T_LE:
	case VCL_T_GE:
		return 7;
	case VCL_T_EQ:
	case VCL_T_NE:
		return 6;
	case VCL_T_AMP:
		return 5;
	case VCL_T_CARET:
		return 4;
	case VCL_T_PIPE:
		return 3;
	case VCL_T_ANDAND:
		return 2;
	case VCL_T_OROR:
		return 1;
	default:
		return 0;
	}
}

enum vcl_tok vcl_tok_compound_base(enum vcl_tok kind)
{
	switch (kind) {
	case VCL_T_MUL_ASSIGN:
		return VCL_T_STAR;
	case VCL_T_DIV_ASSIGN:
		return VCL_T_SLASH;
	case VCL_T_MOD_ASSIGN:
		return VCL_T_PERCENT;
	case VCL_T_ADD_ASSIGN:
		return VCL_T_PLUS;
	case VCL_T_SUB_ASSIGN:
		return VCL_T_MINUS;
	case VCL_T_SHL_ASSIGN:
		return VCL_T_SHL;
	case VCL_T_SHR_ASSIGN:
		return VCL_T_SHR;
	case VCL_T_AND_ASSIGN:
		return VCL_T_AMP;
	case VCL_T_XOR_ASSIGN:
		return VCL_T_CARET;
	case VCL_T_OR_ASSIGN:
		return VCL_T_PIPE;
	default:
		return VCL_T_EOF;
	}
}
