#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "observe/log.h"

static enum log_level max_level = LOG_LVL_INFO;

void log_set_level(enum log_level lvl)
{
	max_level = lvl;
}

int log_level_parse(const char *name)
{
	static const struct {
		const char *name;
		enum log_level lvl;
	} levels[] = {{"error", LOG_LVL_ERR},
		      {"warning", LOG_LVL_WARN},
		      {"info", LOG_LVL_INFO},
		      {"debug", LOG_LVL_DEBUG}};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(levels[i].name, name) == 0)
			return (int)levels[i].lvl;
	return -1;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	if (lvl > max_level)
		return;
	/* One fprintf per line: stdio's lock keeps lines whole across threads.
	 */
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "<%d>vgpufsd: %s\n", (int)lvl, line);
}
