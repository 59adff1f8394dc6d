// hilbert_place -- where each tile of a qhb volume lies: a thread per
// tile computes with Skilling's transform the box position of the tile's
// first index and of the unit step along each canonical axis, and stores,
// at the tile's place in the grid of tiles (x fastest), its number along
// the curve and its turn and mirror, for hilbert_tile.comp.
#version 450

layout(local_size_x = 256) in;

// As in hilbert.comp and hilbert_tile.comp.
layout(std430, binding = 0) readonly buffer Params { uint p[]; } prm;
// Per grid place: the tile's number; canonical axis a's world axis in bits
// 2a..2a+1 and its mirror in bit 6+a.
layout(std430, binding = 1) writeonly buffer Place { uvec4 v[]; } place;

uint comp(uvec3 v, uint i)
{
	return i == 0u ? v.x : i == 1u ? v.y : v.z;
}

// Skilling's TransposetoAxes on the transposed form of d, in scalars (no
// arrays indexed at run time, which would go to slow local memory).
uvec3 index_to_axes(uint d, uint dim, uint b)
{
	uint x0 = 0u, x1 = 0u, x2 = 0u, q, p, t;
	uint top = 1u << (b - 1u);

	if (dim == 3u) {
		for (q = 0u; q < b; q++) {
			x0 |= ((d >> (3u * q + 2u)) & 1u) << q;
			x1 |= ((d >> (3u * q + 1u)) & 1u) << q;
			x2 |= ((d >> (3u * q)) & 1u) << q;
		}
		t = x2 >> 1u;
		x2 ^= x1;
		x1 ^= x0;
		x0 ^= t;
		for (q = 2u; q != 0u && q <= top; q <<= 1u) {
			p = q - 1u;
			if ((x2 & q) != 0u) {
				x0 ^= p;
			} else {
				t = (x0 ^ x2) & p;
				x0 ^= t;
				x2 ^= t;
			}
			if ((x1 & q) != 0u) {
				x0 ^= p;
			} else {
				t = (x0 ^ x1) & p;
				x0 ^= t;
				x1 ^= t;
			}
			if ((x0 & q) != 0u)
				x0 ^= p;
		}
	} else {
		for (q = 0u; q < b; q++) {
			x0 |= ((d >> (2u * q + 1u)) & 1u) << q;
			x1 |= ((d >> (2u * q)) & 1u) << q;
		}
		t = x1 >> 1u;
		x1 ^= x0;
		x0 ^= t;
		for (q = 2u; q != 0u && q <= top; q <<= 1u) {
			p = q - 1u;
			if ((x1 & q) != 0u) {
				x0 ^= p;
			} else {
				t = (x0 ^ x1) & p;
				x0 ^= t;
				x1 ^= t;
			}
			if ((x0 & q) != 0u)
				x0 ^= p;
		}
	}
	return uvec3(x0, x1, x2);
}

uvec3 d2xyz(uint d)
{
	uint dim = prm.p[0], order = prm.p[1], side = prm.p[3];
	uint cube = d >> prm.p[12];
	uint l = d & ((1u << prm.p[12]) - 1u);
	uint b = 13u + 8u * cube;
	uint f = prm.p[b + 3u];

	if (prm.p[b + 4u] != 0u)
		l = ((1u << prm.p[12]) - 1u) - l;
	uvec3 c = order == 0u ? uvec3(0u) : index_to_axes(l, dim, order);
	uvec3 v = uvec3(comp(c, prm.p[b]), comp(c, prm.p[b + 1u]),
	    dim == 3u ? comp(c, prm.p[b + 2u]) : 0u);
	if ((f & 1u) != 0u)
		v.x = side - 1u - v.x;
	if ((f & 2u) != 0u)
		v.y = side - 1u - v.y;
	if ((f & 4u) != 0u && dim == 3u)
		v.z = side - 1u - v.z;
	return v + uvec3(prm.p[b + 5u], prm.p[b + 6u], dim == 3u ?
	    prm.p[b + 7u] : 0u);
}

void main()
{
	uint tile = (gl_WorkGroupID.y * 32768u + gl_WorkGroupID.x) * 256u +
	    gl_LocalInvocationID.x;
	if (tile >= prm.p[49])
		return;
	uint dim = prm.p[0], T = 1u << prm.p[45];
	uint d0 = tile * 4096u;
	uvec3 p0 = d2xyz(d0), lo = p0;
	uint bits = 0u;

	for (uint a = 0u; a < dim; a++) {
		uvec3 q = d2xyz(d0 + prm.p[46u + a]);
		uint k = q.x != p0.x ? 0u : q.y != p0.y ? 1u : 2u;
		uint n = comp(q, k) < comp(p0, k) ? 1u : 0u;
		if (n != 0u) {
			if (k == 0u)
				lo.x -= T - 1u;
			else if (k == 1u)
				lo.y -= T - 1u;
			else
				lo.z -= T - 1u;
		}
		bits |= k << (2u * a) | n << (6u + a);
	}
	uint sh = prm.p[45], gx = prm.p[4] >> sh, gy = prm.p[5] >> sh;
	place.v[(lo.x >> sh) + gx * ((lo.y >> sh) + gy * (lo.z >> sh))] =
	    uvec4(tile, bits, 0u, 0u);
}
