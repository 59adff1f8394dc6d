// diag_sh -- hilbert-diag: shaders/hilbert_value.comp with its RAM read and
// its writes made linear (tile gi reads RAM voxels gi * 4096 on, writes
// output words gi * 1024 on): its shared-memory round trip and barrier.
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
	uint nx = prm.p[4], ny = prm.p[5], ram_voxels = prm.p[6];
	uint gx = nx >> bits, gy = ny >> bits;
	uvec4 pl = place.v[gi];
	uint d0 = gi * 4096u, turn = pl.y;
	uvec3 lo = uvec3(gi % gx, (gi / gx) % gy, gi / (gx * gy)) << bits;
	// The tile's RAM: 16 KiB in one binding chunk (chunks are powers of
	// two of 16 KiB or more).
	uint sh = prm.p[11], c = d0 >> sh;
	uint k0 = ((d0 & ((1u << sh) - 1u)) >> 2u) + tid;
	uvec4 v[4];
	if (d0 + 4096u <= ram_voxels) {
		[[unroll]] for (uint k = 0u; k < 4u; k++) {
			uint i = k0 + 256u * k;
			v[k] = c == 0u ? ram0.w[i] : c == 1u ? ram1.w[i] :
			    c == 2u ? ram2.w[i] : ram3.w[i];
		}
	} else {
		// The tile that holds the end of the RAM: padding reads 0.
		[[unroll]] for (uint k = 0u; k < 4u; k++) {
			uint i = k0 + 256u * k;
			v[k] = uvec4(0u);
			if (d0 + 4u * (tid + 256u * k) < ram_voxels)
				v[k] = c == 0u ? ram0.w[i] : c == 1u ? ram1.w[i] :
				    c == 2u ? ram2.w[i] : ram3.w[i];
		}
	}
	// Curve index j -> padded canonical place: inv.v[4096 + j].
	[[unroll]] for (uint k = 0u; k < 4u; k++) {
		uvec4 f = inv.v[1024u + tid + 256u * k];
		sh_ram[f.x] = v[k].x;
		sh_ram[f.y] = v[k].y;
		sh_ram[f.z] = v[k].z;
		sh_ram[f.w] = v[k].w;
	}
	// Canonical axis a is volume axis wa, mirrored when its bit is set:
	// its shared stride goes to that volume axis, negated when mirrored.
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
		outv.v[wg * 1024u + tid + 256u * k] = uvec4(vox(w.x), vox(w.y),
		    vox(w.z), vox(w.w));
	}
}
