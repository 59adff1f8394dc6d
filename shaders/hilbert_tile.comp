// hilbert_tile -- level 0 of a qhb volume, a workgroup per tile: 4096
// consecutive curve indices that fill a 16^3 (2D: 64^2) cube, a turned and
// mirrored copy of the canonical tile curve (common/hilbert.h), placed by
// hilbert_place.comp.  Workgroups go through the grid of tiles x fastest,
// so that those running at once write one slab of the volume; each reads
// its tile's RAM once (4-byte voxels), coalesced, and writes the tile's
// voxels row by row.  The value scheme at 4 bytes without tint, the common
// case, has its own shader, hilbert_value.comp.  Mirrors
// qhb_hilbert_d2xyz() and qhb_volume_voxel(): the same bytes as the CPU.
#version 450

layout(local_size_x = 256) in;

// RAM, output and tables in 16-byte words, as hilbert_value.comp binds
// them; this shader indexes a 4-byte word within.
layout(std430, binding = 0) readonly buffer Ram0 { uvec4 w[]; } ram0;
layout(std430, binding = 1) readonly buffer Ram1 { uvec4 w[]; } ram1;
layout(std430, binding = 2) readonly buffer Ram2 { uvec4 w[]; } ram2;
layout(std430, binding = 3) readonly buffer Ram3 { uvec4 w[]; } ram3;
layout(std430, binding = 4) readonly buffer PageRgba { uint v[]; } page_rgba;
layout(std430, binding = 5) readonly buffer PageTint { uint v[]; } page_tint;
// As in hilbert.comp, then 45 tile bits, 46..48 the tile index of the unit
// step on each canonical axis, 49 tiles, 50 and 51 the padded row and
// plane strides of the canonical tile in hilbert_value.comp's shared
// memory.
layout(std430, binding = 6) readonly buffer Params { uint p[]; } prm;
layout(std430, binding = 7) writeonly buffer Out { uvec4 v[]; } outv;
// Canonical tile curve: [0, 4096) x-fastest position -> index along it;
// [4096, 8192) index -> padded place in shared memory (hilbert_value).
layout(std430, binding = 8) readonly buffer Inv { uvec4 v[]; } inv;
// Per place in the grid of tiles: the tile's number and turn, from
// hilbert_place.comp.
layout(std430, binding = 9) readonly buffer Place { uvec4 v[]; } place;

layout(push_constant) uniform Push {
	uint base;    // first voxel of this output chunk
	uint count;   // voxels in it
} pc;

// The tile's RAM, in curve order.
shared uint sh_ram[4096];

// 16-byte word i of the RAM, bound in up to four chunks of 2^(p[11])
// 4-byte words.
uvec4 ram_vec(uint c, uint i)
{
	return c == 0u ? ram0.w[i] : c == 1u ? ram1.w[i] : c == 2u ?
	    ram2.w[i] : ram3.w[i];
}

uint ram_word(uint i)
{
	uint c = i >> prm.p[11];
	uint k = i & ((1u << prm.p[11]) - 1u);

	return ram_vec(c, k >> 2u)[k & 3u];
}

uint comp(uvec3 v, uint i)
{
	return i == 0u ? v.x : i == 1u ? v.y : v.z;
}

uint colour(uint d, uint pre)
{
	uint col = 0u;

	if (d >= prm.p[6])
		return 0u;
	uint page = d >> prm.p[8];
	if (prm.p[9] != 0u) {
		uint uw = prm.p[7];
		if (uw == 0u) {
			uint by = (ram_word(d >> 2u) >> (8u * (d & 3u))) & 0xffu;
			col = by != 0u ? (by * 0x010101u) | 0xff000000u : 0u;
		} else if (uw == 1u) {
			col = pre != 0u ? pre | 0xff000000u : 0u;
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
	return col;
}

void main()
{
	uint wg = gl_WorkGroupID.y * 32768u + gl_WorkGroupID.x;
	uint tid = gl_LocalInvocationID.x;
	// This output chunk holds whole layers of tiles: grid places
	// base / 4096 onward.
	if (wg >= pc.count / 4096u)
		return;
	uint gi = pc.base / 4096u + wg;
	uint dim = prm.p[0], bits = prm.p[45], T = 1u << bits;
	uint nx = prm.p[4], ny = prm.p[5];
	uint gx = nx >> bits, gy = ny >> bits;
	uvec4 pl = place.v[gi];
	uint d0 = pl.x * 4096u;
	uvec3 lo = uvec3(gi % gx, (gi / gx) % gy, gi / (gx * gy)) << bits;
	bool pre = prm.p[9] != 0u && prm.p[7] == 1u;
	uint wa0 = pl.y & 3u, wa1 = (pl.y >> 2u) & 3u, wa2 = (pl.y >> 4u) & 3u;
	uint ng0 = (pl.y >> 6u) & 1u, ng1 = (pl.y >> 7u) & 1u;
	uint ng2 = (pl.y >> 8u) & 1u;
	// The tile's RAM, for 4-byte voxels: 16 KiB in one binding chunk
	// (chunks are powers of two of 16 KiB or more).
	if (pre) {
		uint ram_voxels = prm.p[6];
		for (uint k = tid; k < 4096u; k += 256u)
			sh_ram[k] = d0 + k < ram_voxels ? ram_word(d0 + k) : 0u;
	}
	barrier();
	for (uint m = tid; m < 4096u; m += 256u) {
		uvec3 w = uvec3(m & (T - 1u), (m >> bits) & (T - 1u),
		    dim == 3u ? m >> (2u * bits) : 0u);
		uint c0 = comp(w, wa0), c1 = comp(w, wa1);
		uint c2 = dim == 3u ? comp(w, wa2) : 0u;
		c0 = ng0 != 0u ? T - 1u - c0 : c0;
		c1 = ng1 != 0u ? T - 1u - c1 : c1;
		c2 = ng2 != 0u ? T - 1u - c2 : c2;
		uint q = c0 | (c1 << bits) | (c2 << (2u * bits));
		uint j = inv.v[q >> 2u][q & 3u];
		uint o = (lo.x + w.x) + nx * ((lo.y + w.y) + ny * (lo.z + w.z)) -
		    pc.base;
		outv.v[o >> 2u][o & 3u] = colour(d0 + j, pre ? sh_ram[j] : 0u);
	}
}
