/*
 * Pricing European options, two ways, as an OpenCL finance sample would:
 * Black-Scholes' closed form (one option a work-item), and a binomial tree
 * (one option a work-group, the tree's levels in __local memory). The
 * bench's cold-compile row compiles this program (about 100 lines).
 */

#define RISKFREE   0.02f
#define VOLATILITY 0.30f
#define TREE_STEPS 255

/* The cumulative normal distribution: Abramowitz and Stegun 26.2.17. */
float cnd(const float d)
{
	const float a1 = 0.319381530f, a2 = -0.356563782f,
		    a3 = 1.781477937f, a4 = -1.821255978f,
		    a5 = 1.330274429f;
	const float k = 1.0f / (1.0f + 0.2316419f * fabs(d));
	const float poly =
	    k * (a1 + k * (a2 + k * (a3 + k * (a4 + k * a5))));
	const float c = 0.39894228040143267794f * exp(-0.5f * d * d) * poly;
	return d > 0 ? 1.0f - c : c;
}

/* Call and put prices of an option on SPOT at STRIKE expiring in YEARS. */
void black_scholes_one(const float spot, const float strike,
		       const float years, float *call, float *put)
{
	const float sqrt_t = sqrt(years);
	const float d1 = (log(spot / strike) +
			  (RISKFREE + 0.5f * VOLATILITY * VOLATILITY) * years) /
			 (VOLATILITY * sqrt_t);
	const float d2 = d1 - VOLATILITY * sqrt_t;
	const float discount = exp(-RISKFREE * years);
	*call = spot * cnd(d1) - strike * discount * cnd(d2);
	*put = strike * discount * cnd(-d2) - spot * cnd(-d1);
}

__kernel void black_scholes(__global const float *spot,
			    __global const float *strike,
			    __global const float *years, __global float *call,
			    __global float *put, const uint n)
{
	const size_t i = get_global_id(0);
	if (i >= n)
		return;
	float c, p;
	black_scholes_one(spot[i], strike[i], years[i], &c, &p);
	call[i] = c;
	put[i] = p;
}

/* The payoff of a call at the tree's leaf I of STEPS. */
float leaf_value(const float spot, const float strike, const float up,
		 const int i, const int steps)
{
	const float price = spot * pow(up, (float)(2 * i - steps));
	return fmax(price - strike, 0.0f);
}

/*
 * One option a work-group of TREE_STEPS + 1 work-items: the leaves' call
 * values, then back through the tree a level at a time, each value the
 * discounted expectation of its two children.
 */
__kernel __attribute__((reqd_work_group_size(TREE_STEPS + 1, 1, 1))) void
binomial_call(__global const float4 *options, __global float *price,
	      __local float *values)
{
	const int option = get_group_id(0);
	const int i = get_local_id(0);
	const float4 o = options[option]; /* spot, strike, years, unused */
	const float dt = o.z / TREE_STEPS;
	const float vsdt = VOLATILITY * sqrt(dt);
	const float up = exp(vsdt), down = 1.0f / up;
	const float growth = exp(RISKFREE * dt);
	const float p_up = (growth - down) / (up - down);
	const float discount = 1.0f / growth;
	const float w_up = p_up * discount, w_down = (1.0f - p_up) * discount;

	values[i] = leaf_value(o.x, o.y, up, i, TREE_STEPS);
	barrier(CLK_LOCAL_MEM_FENCE);
	for (int level = TREE_STEPS; level > 0; level--) {
		float v = 0.0f;
		if (i < level)
			v = w_up * values[i + 1] + w_down * values[i];
		barrier(CLK_LOCAL_MEM_FENCE);
		if (i < level)
			values[i] = v;
		barrier(CLK_LOCAL_MEM_FENCE);
	}
	if (i == 0)
		price[option] = values[0];
}

/* The put from the call, by put-call parity: a check of the tree. */
__kernel void put_from_call(__global const float4 *options,
			    __global const float *call, __global float *put,
			    const uint n)
{
	const size_t i = get_global_id(0);
	if (i >= n)
		return;
	const float4 o = options[i];
	put[i] = call[i] - o.x + o.y * exp(-RISKFREE * o.z);
}
