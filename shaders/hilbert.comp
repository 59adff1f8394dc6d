// hilbert -- level 0 of a qhb volume: each invocation colours one voxel,
// x fastest, from the guest RAM byte range its Hilbert curve index names.
// Mirrors qhb_hilbert_xyz2d() and qhb_volume_voxel() in common/ exactly:
// the CPU and this shader must give the same bytes.
#version 450

layout(local_size_x = 256) in;

// Guest RAM, bound in up to four chunks of 2^(p[11]) words.
layout(std430, binding = 0) readonly buffer Ram0 { uint w[]; } ram0;
layout(std430, binding = 1) readonly buffer Ram1 { uint w[]; } ram1;
layout(std430, binding = 2) readonly buffer Ram2 { uint w[]; } ram2;
layout(std430, binding = 3) readonly buffer Ram3 { uint w[]; } ram3;
layout(std430, binding = 4) readonly buffer PageRgba { uint v[]; } page_rgba;
layout(std430, binding = 5) readonly buffer PageTint { uint v[]; } page_tint;
// 0 dim, 1 order, 2 cubes, 3 side, 4 nx, 5 ny, 6 ram voxels, 7 words per
// voxel (0: unit 1), 8 page shift, 9 value scheme, 10 tint, 11 chunk word
// shift, 12 cube index shift; then per cube: perm[3], flip, reverse,
// origin[3].
layout(std430, binding = 6) readonly buffer Params { uint p[]; } prm;
layout(std430, binding = 7) writeonly buffer Out { uint v[]; } outv;

layout(push_constant) uniform Push {
	uint base;    // first voxel of this output chunk
	uint count;   // voxels in it
} pc;

uint ram_word(uint i)
{
	uint c = i >> prm.p[11];
	uint k = i & ((1u << prm.p[11]) - 1u);

	if (c == 0u)
		return ram0.w[k];
	if (c == 1u)
		return ram1.w[k];
	if (c == 2u)
		return ram2.w[k];
	return ram3.w[k];
}

uint comp(uvec3 v, uint i)
{
	return i == 0u ? v.x : i == 1u ? v.y : v.z;
}

// Skilling's AxestoTranspose, then the transposed index read out, in
// scalars (no arrays indexed at run time, which go to slow local memory).
uint axes_to_index(uvec3 x, uint dim, uint b)
{
	uint x0 = x.x, x1 = x.y, x2 = x.z, q, p, t, d = 0u;
	uint top = 1u << (b - 1u);

	for (q = top; q > 1u; q >>= 1u) {
		p = q - 1u;
		if ((x0 & q) != 0u)
			x0 ^= p;
		if ((x1 & q) != 0u) {
			x0 ^= p;
		} else {
			t = (x0 ^ x1) & p;
			x0 ^= t;
			x1 ^= t;
		}
		if (dim == 3u) {
			if ((x2 & q) != 0u) {
				x0 ^= p;
			} else {
				t = (x0 ^ x2) & p;
				x0 ^= t;
				x2 ^= t;
			}
		}
	}
	x1 ^= x0;
	if (dim == 3u)
		x2 ^= x1;
	uint last = dim == 3u ? x2 : x1;
	t = 0u;
	for (q = top; q > 1u; q >>= 1u)
		if ((last & q) != 0u)
			t ^= q - 1u;
	x0 ^= t;
	x1 ^= t;
	x2 ^= t;
	for (q = 0u; q < b; q++) {
		if (dim == 3u)
			d |= ((x0 >> q) & 1u) << (3u * q + 2u) |
			    ((x1 >> q) & 1u) << (3u * q + 1u) |
			    ((x2 >> q) & 1u) << (3u * q);
		else
			d |= ((x0 >> q) & 1u) << (2u * q + 1u) |
			    ((x1 >> q) & 1u) << (2u * q);
	}
	return d;
}

void main()
{
	uint g = gl_WorkGroupID.y * 32768u + gl_WorkGroupID.x;
	uint li = g * 256u + gl_LocalInvocationID.x;
	if (li >= pc.count)
		return;
	uint i = pc.base + li;
	uint dim = prm.p[0], order = prm.p[1], cubes = prm.p[2], side = prm.p[3];
	uint nx = prm.p[4], ny = prm.p[5];
	uvec3 w = uvec3(i % nx, (i / nx) % ny, i / (nx * ny));

	uint cube = 0u;
	for (; cube + 1u < cubes; cube++) {
		uint cb = 13u + 8u * cube;
		if (w.x - prm.p[cb + 5u] < side && w.y - prm.p[cb + 6u] < side)
			break;
	}
	uint b = 13u + 8u * cube;
	// Undo the cube's mirror, then its turn: world axis a holds
	// canonical axis perm[a].
	uint f = prm.p[b + 3u];
	uvec3 v = w - uvec3(prm.p[b + 5u], prm.p[b + 6u], prm.p[b + 7u]);
	if ((f & 1u) != 0u)
		v.x = side - 1u - v.x;
	if ((f & 2u) != 0u)
		v.y = side - 1u - v.y;
	if ((f & 4u) != 0u)
		v.z = side - 1u - v.z;
	uint pa = prm.p[b], pb = prm.p[b + 1u];
	uvec3 c = uvec3(pa == 0u ? v.x : pb == 0u ? v.y : v.z,
	    pa == 1u ? v.x : pb == 1u ? v.y : v.z,
	    dim == 3u ? (pa == 2u ? v.x : pb == 2u ? v.y : v.z) : 0u);
	uint l = order == 0u ? 0u : axes_to_index(c, dim, order);
	if (prm.p[b + 4u] != 0u)
		l = ((1u << prm.p[12]) - 1u) - l;
	uint d = (cube << prm.p[12]) | l;

	uint col = 0u;
	if (d < prm.p[6]) {
		uint page = d >> prm.p[8];
		if (prm.p[9] != 0u) {
			uint uw = prm.p[7];
			if (uw == 0u) {
				uint by = (ram_word(d >> 2u) >> (8u * (d & 3u))) & 0xffu;
				col = by != 0u ? (by * 0x010101u) | 0xff000000u : 0u;
			} else {
				uint w0 = ram_word(d * uw), any = w0;
				for (uint k = 1u; k < uw; k++)
					any |= ram_word(d * uw + k);
				col = (w0 & 0xffffffu) | (any != 0u ? 0xff000000u : 0u);
			}
		} else {
			col = page_rgba.v[page];
		}
		if (prm.p[10] != 0u) {
			uint t = page_tint.v[page];
			if (t != 0u)
				col = (((col & 0xfefefeu) >> 1u) + ((t & 0xfefefeu) >> 1u)) |
				    (max(col >> 24u, 96u) << 24u);
		}
	}
	outv.v[li] = col;
}
