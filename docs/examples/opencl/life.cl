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

/* The live neighbours of an edge cell, across the edges. */
int wrapped_neighbours(__global const uchar *src, const int x, const int y,
		       const int w, const int h)
{
	const int l = x == 0 ? w - 1 : x - 1, r = x == w - 1 ? 0 : x + 1;
	const int up = (y == 0 ? h - 1 : y - 1) * w, row = y * w,
		  down = (y == h - 1 ? 0 : y + 1) * w;
	return live(src[up + l]) + live(src[up + x]) + live(src[up + r]) +
	       live(src[row + l]) + live(src[row + r]) + live(src[down + l]) +
	       live(src[down + x]) + live(src[down + r]);
}

/*
 * One generation: a live cell with two or three live neighbours lives on,
 * a dead cell with exactly three is born, every other cell is dead. Inside
 * the board the neighbours are plain offsets from the cell's index, which
 * the device checks once per work-group (kernels-opencl.md, Running): twice
 * as fast as wrapping every index.
 */
__kernel void life_step(__global const uchar *src, __global uchar *dst,
			const int w, const int h)
{
	const int x = get_global_id(0), y = get_global_id(1);
	if (x >= w || y >= h)
		return;
	const int i = y * w + x;
	int n;
	if (x > 0 && y > 0 && x < w - 1 && y < h - 1)
		n = live(src[i - w - 1]) + live(src[i - w]) +
		    live(src[i - w + 1]) + live(src[i - 1]) + live(src[i + 1]) +
		    live(src[i + w - 1]) + live(src[i + w]) +
		    live(src[i + w + 1]);
	else
		n = wrapped_neighbours(src, x, y, w, h);
	dst[i] = n == 3 || (n == 2 && live(src[i])) ? 255 : 0;
}
