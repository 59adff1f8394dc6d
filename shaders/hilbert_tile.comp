// hilbert_tile -- level 0 of a qhb volume, a workgroup per tile: 4096
// consecutive curve indices that fill a 16^3 (2D: 64^2) cube, a turned and
// mirrored copy of the canonical tile curve (common/hilbert.h), placed by
// hilbert_place.comp.  Workgroups go through the grid of tiles x fastest,
// so that those running at once write one slab of the volume; each reads
// its tile's RAM once, coalesced, and writes the tile's voxels row by row.  Mirrors
// qhb_hilbert_d2xyz() and qhb_volume_voxel(): the same bytes as the CPU.
#version 450

layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer Ram0 { uint w[]; } ram0;
layout(std430, binding = 1) readonly buffer Ram1 { uint w[]; } ram1;
layout(std430, binding = 2) readonly buffer Ram2 { uint w[]; } ram2;
layout(std430, binding = 3) readonly buffer Ram3 { uint w[]; } ram3;
layout(std430, binding = 4) readonly buffer PageRgba { uint v[]; } page_rgba;
layout(std430, binding = 5) readonly buffer PageTint { uint v[]; } page_tint;
// As in hilbert.comp, then 45 tile bits, 46..48 the tile index of the unit
// step on each canonical axis, 49 tiles.
layout(std430, binding = 6) readonly buffer Params { uint p[]; } prm;
layout(std430, binding = 7) writeonly buffer Out { uint v[]; } outv;
// Canonical tile curve, inverse: x-fastest position -> index along it.
layout(std430, binding = 8) readonly buffer Inv { uint v[]; } inv;
// Per place in the grid of tiles: the tile's number and turn, from
// hilbert_place.comp.
layout(std430, binding = 9) readonly buffer Place { uvec4 v[]; } place;

layout(push_constant) uniform Push {
	uint base;    // first voxel of this output chunk
	uint count;   // voxels in it
} pc;

shared uint sh_ram[4096];

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
	uint wa0 = pl.y & 3u, wa1 = (pl.y >> 2u) & 3u, wa2 = (pl.y >> 4u) & 3u;
	uint ng0 = (pl.y >> 6u) & 1u, ng1 = (pl.y >> 7u) & 1u;
	uint ng2 = (pl.y >> 8u) & 1u;
	// The tile's RAM, for the common case of 4-byte voxels: 16 KiB in one
	// binding chunk (chunks are powers of two of 16 KiB or more).
	bool pre = prm.p[9] != 0u && prm.p[7] == 1u;
	bool plain = pre && prm.p[10] == 0u;
	if (pre) {
		uint ram_voxels = prm.p[6], sh = prm.p[11];
		uint c = d0 >> sh, k0 = d0 & ((1u << sh) - 1u);
		for (uint k = tid; k < 4096u; k += 256u) {
			uint v;
			if (c == 0u)
				v = ram0.w[k0 + k];
			else if (c == 1u)
				v = ram1.w[k0 + k];
			else if (c == 2u)
				v = ram2.w[k0 + k];
			else
				v = ram3.w[k0 + k];
			sh_ram[k] = d0 + k < ram_voxels ? v : 0u;
		}
	}
	barrier();
	if (plain) {
		// Value colours, no tint: nothing but the bytes.
		for (uint m = tid; m < 4096u; m += 256u) {
			uvec3 w = uvec3(m & (T - 1u), (m >> bits) & (T - 1u),
			    dim == 3u ? m >> (2u * bits) : 0u);
			uint c0 = comp(w, wa0), c1 = comp(w, wa1);
			uint c2 = dim == 3u ? comp(w, wa2) : 0u;
			c0 = ng0 != 0u ? T - 1u - c0 : c0;
			c1 = ng1 != 0u ? T - 1u - c1 : c1;
			c2 = ng2 != 0u ? T - 1u - c2 : c2;
			uint v = sh_ram[inv.v[c0 | (c1 << bits) | (c2 << (2u * bits))]];
			uint o = (lo.x + w.x) + nx * ((lo.y + w.y) + ny * (lo.z + w.z));
			outv.v[o - pc.base] = v != 0u ? v | 0xff000000u : 0u;
		}
		return;
	}
	for (uint m = tid; m < 4096u; m += 256u) {
		uvec3 w = uvec3(m & (T - 1u), (m >> bits) & (T - 1u),
		    dim == 3u ? m >> (2u * bits) : 0u);
		uint c0 = comp(w, wa0), c1 = comp(w, wa1);
		uint c2 = dim == 3u ? comp(w, wa2) : 0u;
		c0 = ng0 != 0u ? T - 1u - c0 : c0;
		c1 = ng1 != 0u ? T - 1u - c1 : c1;
		c2 = ng2 != 0u ? T - 1u - c2 : c2;
		uint j = inv.v[c0 | (c1 << bits) | (c2 << (2u * bits))];
		uint o = (lo.x + w.x) + nx * ((lo.y + w.y) + ny * (lo.z + w.z));
		outv.v[o - pc.base] = colour(d0 + j, pre ? sh_ram[j] : 0u);
	}
}
