/*
 * The full screen: readings from the sampler, keys, resizes and signals,
 * in one poll() loop; top_draw.c draws it.
 */
#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "top_screen.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Shows the reading CUR, or why there is none (MSG) when it is NULL. */
static void apply(struct screen *sc, vgpu_stats *cur, const char *msg)
{
	if (!cur) {
		snprintf(sc->error, sizeof(sc->error), "%s", msg);
		if (sc->have_view)
			top_view_free(&sc->view);
		sc->have_view = false;
		return;
	}
	sc->error[0] = '\0';
	const vgpu_stats *prev = sc->have_view ? sc->view.st : NULL;
	if (prev && cur->uptime_seconds < prev->uptime_seconds)
		prev = NULL; /* a new daemon: its counters start afresh */
	struct top_view v;
	if (top_view_make(&v, prev, cur) < 0) {
		snprintf(sc->error, sizeof(sc->error), "out of memory");
		return;
	}
	if (sc->have_view)
		top_view_free(&sc->view);
	sc->view = v;
	sc->have_view = true;
	top_view_sort(&sc->view, sc->sort, sc->reverse);
	top_history_push(&sc->hist, &sc->view);
	sc->refreshes++;
}

/* Handles key CH; false when it quits. */
static bool key(struct screen *sc, int ch)
{
	if (sc->help && ch != KEY_RESIZE) {
		sc->help = false; /* any key closes the help */
		return ch != 'q';
	}
	switch (ch) {
	case 'q':
	case 'Q':
		return false;
	case 'h':
	case '?':
	case KEY_F(1):
		sc->help = true;
		break;
	case 'p':
	case ' ':
		sc->paused = !sc->paused;
		break;
	case 's':
	case '>':
	case KEY_F(6):
		sc->sort = (enum top_col)((sc->sort + 1) % COL_COUNT);
		break;
	case '<':
		sc->sort =
		    (enum top_col)((sc->sort + COL_COUNT - 1) % COL_COUNT);
		break;
	case 'r':
		sc->reverse = !sc->reverse;
		break;
	case KEY_UP:
		sc->scroll -= sc->scroll > 0;
		break;
	case KEY_DOWN:
		sc->scroll++;
		break;
	case KEY_PPAGE:
		sc->scroll = sc->scroll > 10 ? sc->scroll - 10 : 0;
		break;
	case KEY_NPAGE:
		sc->scroll += 10;
		break;
	case KEY_HOME:
		sc->scroll = 0;
		break;
	case KEY_END:
		sc->scroll = (size_t)-1 / 2; /* clamped when drawn */
		break;
	case KEY_RESIZE:
		clearok(curscr, TRUE);
		break;
	default:
		return true;
	}
	if (sc->have_view)
		top_view_sort(&sc->view, sc->sort, sc->reverse);
	return true;
}

static void start_colors(struct screen *sc)
{
	const char *no = getenv("NO_COLOR");
	sc->color = has_colors() && !(no && *no);
	if (!sc->color)
		return;
	start_color();
	use_default_colors();
	init_pair(PAIR_TITLE, COLOR_CYAN, COLOR_BLACK);
	init_pair(PAIR_LOW, COLOR_GREEN, -1);
	init_pair(PAIR_MID, COLOR_YELLOW, -1);
	init_pair(PAIR_HIGH, COLOR_RED, -1);
	init_pair(PAIR_GRAPH, COLOR_GREEN, -1);
	init_pair(PAIR_MEM, COLOR_MAGENTA, -1);
	init_pair(PAIR_ERROR, COLOR_RED, -1);
	init_pair(PAIR_TABLE, COLOR_GREEN, COLOR_BLACK);
	init_pair(PAIR_SORTED, COLOR_CYAN, COLOR_BLACK);
	init_pair(PAIR_LABEL, COLOR_CYAN, -1);
}

int top_screen(const struct top_options *o)
{
	setlocale(LC_ALL, "");
	struct screen *sc = calloc(1, sizeof(*sc)); /* the history is big */
	if (!sc) {
		fprintf(stderr, TOP_NAME ": out of memory\n");
		return 1;
	}
	sc->o = o;
	sc->sort = o->sort;
	sc->reverse = o->reverse;
	sc->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	struct top_sampler *smp = top_sampler_start(o->device);
	if (!smp) {
		free(sc);
		fprintf(stderr, TOP_NAME ": cannot start a reader process\n");
		return 1;
	}
	if (!initscr()) {
		top_sampler_stop(smp);
		free(sc);
		return 1;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE); /* poll() waits, for keys and readings */
	curs_set(0);
	start_colors(sc);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* A reading that takes this long: the daemon hangs (or is stopped). */
	double hung = o->delay * 2 > 2 ? o->delay * 2 : 2;
	top_sampler_request(smp);
	double next = top_now() + o->delay;
	bool run = true;
	screen_draw(sc);
	while (run && !stop) {
		struct pollfd pf[2] = {
		    {.fd = STDIN_FILENO, .events = POLLIN},
		    {.fd = top_sampler_fd(smp), .events = POLLIN}};
		int ms = (int)ceil((next - top_now()) * 1000);
		bool redraw = false;
		if (poll(pf, 2, ms > 0 ? ms : 0) > 0 && pf[1].revents) {
			vgpu_stats *st;
			char msg[512];
			if (top_sampler_take(smp, &st, msg, sizeof(msg))) {
				if (sc->paused)
					vgpu_stats_free(st);
				else
					apply(sc, st, msg);
				redraw = true;
			}
			if (o->count && sc->refreshes >= o->count)
				run = false;
		}
		int ch; /* keys; KEY_RESIZE after a SIGWINCH woke poll */
		while (run && (ch = getch()) != ERR) {
			run = key(sc, ch);
			redraw = true;
		}
		if (top_now() >= next) {
			double waited = top_sampler_waiting(smp);
			if (!sc->paused && waited > hung) {
				char msg[512];
				snprintf(msg, sizeof(msg),
					 "%s: no answer for %.0f s (is vgpufsd "
					 "stopped?)",
					 o->device, waited);
				apply(sc, NULL, msg);
			}
			if (!sc->paused)
				top_sampler_request(smp);
			next = top_now() + o->delay;
			redraw = true; /* the clock at least */
		}
		if (run && redraw)
			screen_draw(sc);
	}
	endwin();
	if (sc->have_view)
		top_view_free(&sc->view);
	top_sampler_stop(smp);
	free(sc);
	return 0;
}
