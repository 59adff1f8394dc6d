// diag_rw -- hilbert-diag: the real shader's reads and writes, no shared
// memory round trip (wrong voxels): its memory traffic alone.
#version 450
#extension GL_EXT_control_flow_attributes : require
layout(local_size_x = 256) in;
// The bindings of shaders/hilbert_value.comp, so that common/volvk.c
// dispatches this in its place (bench/hilbert-diag.c, QHB_DIAG_VALUE).
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

uvec4 ram(uint c, uint i)
{
	return c == 0u ? ram0.w[i] : c == 1u ? ram1.w[i] : c == 2u ? ram2.w[i] :
	    ram3.w[i];
}

// Where thread tid writes its k-th run of 4 voxels in the real shader:
// the output word (within this chunk) of tile gi.
uint scattered(uint gi, uint tid, uint k)
{
	uint bits = prm.p[45], T = 1u << bits, nx = prm.p[4], ny = prm.p[5];
	uint gx = nx >> bits, gy = ny >> bits;
	uvec3 lo = uvec3(gi % gx, (gi / gx) % gy, gi / (gx * gy)) << bits;
	uint m = 4u * (tid + 256u * k);
	uint wx = m & (T - 1u), wy = (m >> bits) & (T - 1u), wz = m >> (2u * bits);
	uint o = (lo.x + wx) + nx * (lo.y + wy) + nx * ny * (lo.z + wz);
	return (o - pc.base) >> 2u;
}

void main()
{
	uint wg = gl_WorkGroupID.y * 32768u + gl_WorkGroupID.x;
	uint tid = gl_LocalInvocationID.x;
	if (wg >= pc.count / 4096u)
		return;
	uint gi = pc.base / 4096u + wg;

	uint d0 = place.v[gi].x * 4096u, sh = prm.p[11], c = d0 >> sh;
	uint k0 = ((d0 & ((1u << sh) - 1u)) >> 2u) + tid;
	uvec4 v[4];
	[[unroll]] for (uint k = 0u; k < 4u; k++)
		v[k] = ram(c, k0 + 256u * k);

	[[unroll]] for (uint k = 0u; k < 4u; k++)
		outv.v[scattered(gi, tid, k)] = v[k];
}
