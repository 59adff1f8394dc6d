// diag_two -- hilbert-diag: shaders/hilbert_value.comp with two x-adjacent
// tiles a workgroup, the second tile's RAM loaded before the first is
// scattered, so that its loads are in flight through the first's round
// trip; workgroups past half the tiles do nothing.  Same bytes.
#version 450
#extension GL_EXT_control_flow_attributes : require
layout(local_size_x = 256) in;
// Bindings as in hilbert_tile.comp.
layout(std430, binding = 0) readonly buffer Ram0 { uvec4 w[]; } ram0;
layout(std430, binding = 1) readonly buffer Ram1 { uvec4 w[]; } ram1;
layout(std430, binding = 2) readonly buffer Ram2 { uvec4 w[]; } ram2;
layout(std430, binding = 3) readonly buffer Ram3 { uvec4 w[]; } ram3;
layout(std430, binding = 4) readonly buffer PageRgba { uint v[]; } page_rgba;
layout(std430, binding = 5) readonly buffer PageTint { uint v[]; } page_tint;
layout(std430, binding = 6) readonly buffer Params { uint p[]; } prm;
layout(std430, binding = 7) writeonly buffer Out { uvec4 v[]; } outv;
layout(std430, binding = 8) readonly buffer Inv { uvec4 v[]; } inv;
layout(std430, binding = 9) readonly buffer Place { uvec4 v[]; } place;
layout(push_constant) uniform Push { uint base; uint count; } pc;
// The canonical tile, padded: 16 planes of 16 rows, or 64 rows of 64.
shared uint sh_ram[4441];

uint vox(uint w) { return w != 0u ? w | 0xff000000u : 0u; }

uvec4 ram(uint c, uint i)
{
	return c == 0u ? ram0.w[i] : c == 1u ? ram1.w[i] : c == 2u ? ram2.w[i] :
	    ram3.w[i];
}

// Tile gi's 16 KiB of RAM, this thread's four words (padding reads 0).
void load(uint gi, uint tid, out uvec4 v[4], out uint turn)
{
	uvec4 pl = place.v[gi];
	uint d0 = pl.x * 4096u, sh = prm.p[11], c = d0 >> sh;
	uint k0 = ((d0 & ((1u << sh) - 1u)) >> 2u) + tid, ram_voxels = prm.p[6];
	turn = pl.y;
	[[unroll]] for (uint k = 0u; k < 4u; k++) {
		v[k] = uvec4(0u);
		if (d0 + 4096u <= ram_voxels || d0 + 4u * (tid + 256u * k) < ram_voxels)
			v[k] = ram(c, k0 + 256u * k);
	}
}

// Scatter, barrier, gather and write of tile gi, as hilbert_value does.
void put(uint gi, uint tid, uvec4 v[4], uint turn)
{
	uint dim = prm.p[0], bits = prm.p[45], T = 1u << bits;
	uint nx = prm.p[4], ny = prm.p[5];
	uint gx = nx >> bits, gy = ny >> bits;
	uvec3 lo = uvec3(gi % gx, (gi / gx) % gy, gi / (gx * gy)) << bits;
	[[unroll]] for (uint k = 0u; k < 4u; k++) {
		uvec4 f = inv.v[1024u + tid + 256u * k];
		sh_ram[f.x] = v[k].x;
		sh_ram[f.y] = v[k].y;
		sh_ram[f.z] = v[k].z;
		sh_ram[f.w] = v[k].w;
	}
	int step_x = 0, step_y = 0, step_z = 0, at = 0;
	[[unroll]] for (uint a = 0u; a < 3u; a++) {
		uint wa = (turn >> (2u * a)) & 3u;
		int st = a == 0u ? 1 : a == 1u ? int(prm.p[50]) : int(prm.p[51]);
		if (a == dim)
			break;
		if (((turn >> (6u + a)) & 1u) != 0u) {
			at += st * int(T - 1u);
			st = -st;
		}
		step_x += wa == 0u ? st : 0;
		step_y += wa == 1u ? st : 0;
		step_z += wa == 2u ? st : 0;
	}
	barrier();
	uint plane = nx * ny;
	[[unroll]] for (uint k = 0u; k < 4u; k++) {
		uint m = 4u * (tid + 256u * k);
		uint wx = m & (T - 1u), wy = (m >> bits) & (T - 1u);
		uint wz = dim == 3u ? m >> (2u * bits) : 0u;
		int a = at + int(wx) * step_x + int(wy) * step_y +
		    int(wz) * step_z;
		uvec4 w = uvec4(sh_ram[a], sh_ram[a + step_x],
		    sh_ram[a + 2 * step_x], sh_ram[a + 3 * step_x]);
		uint o = (lo.x + wx) + nx * (lo.y + wy) + plane * (lo.z + wz);
		outv.v[(o - pc.base) >> 2u] = uvec4(vox(w.x), vox(w.y),
		    vox(w.z), vox(w.w));
	}
}

void main()
{
	uint wg = gl_WorkGroupID.y * 32768u + gl_WorkGroupID.x;
	uint tid = gl_LocalInvocationID.x, tiles = pc.count / 4096u;
	if (2u * wg >= tiles)
		return;
	uint gi = pc.base / 4096u + 2u * wg, ta, tb;
	bool two = 2u * wg + 1u < tiles;
	uvec4 va[4], vb[4];
	load(gi, tid, va, ta);
	if (two)
		load(gi + 1u, tid, vb, tb);
	put(gi, tid, va, ta);
	if (two) {
		barrier();
		put(gi + 1u, tid, vb, tb);
	}
}
