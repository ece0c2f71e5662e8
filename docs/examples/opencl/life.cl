/*
 * Conway's Game of Life on a w x h board whose edges wrap (a torus), one
 * byte a cell, row after row: the bytes are a PGM image's pixels.
 */

/* A cell of a start image is live when its byte is 128 or more. */
int live(const uchar cell)
{
	return cell >> 7;
}

/* The start: any image's pixels to cells, live 255 and dead 0. */
__kernel void life_start(__global const uchar *image, __global uchar *board,
			 const int w, const int h)
{
	const int x = get_global_id(0), y = get_global_id(1);
	if (x < w && y < h)
		board[y * w + x] = live(image[y * w + x]) ? 255 : 0;
}

/*
 * One generation: a live cell with two or three live neighbours lives on,
 * a dead cell with exactly three is born, every other cell is dead.
 */
__kernel void life_step(__global const uchar *src, __global uchar *dst,
			const int w, const int h)
{
	const int x = get_global_id(0), y = get_global_id(1);
	if (x >= w || y >= h)
		return;
	const int l = x == 0 ? w - 1 : x - 1, r = x == w - 1 ? 0 : x + 1;
	const int up = (y == 0 ? h - 1 : y - 1) * w, row = y * w,
		  down = (y == h - 1 ? 0 : y + 1) * w;
	const int n = live(src[up + l]) + live(src[up + x]) +
		      live(src[up + r]) + live(src[row + l]) +
		      live(src[row + r]) + live(src[down + l]) +
		      live(src[down + x]) + live(src[down + r]);
	dst[row + x] = n == 3 || (n == 2 && live(src[row + x])) ? 255 : 0;
}
