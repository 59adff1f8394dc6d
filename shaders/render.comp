// render -- one ray per pixel through a qhb volume: maximum-intensity
// projection or front-to-back compositing.  The same exact voxel walk and
// empty-space skipping through mip levels as cast_ray() in common/render.c,
// in 32-bit floats; where cast_ray() steps from voxel to voxel
// incrementally (Amanatides and Woo), each step here finds the voxel at the
// ray's position again and leaves it through its (or its empty mip cell's)
// faces (it measured faster on lavapipe; bench/RESULTS.md's H100 figures
// are of this walk).  Pictures agree within the tolerance that
// tests/integration/render.sh states: rays that graze voxel edges may
// cross different voxels in floats than in doubles.
#version 450

layout(local_size_x = 64) in;

// All levels of the volume, x fastest, in up to four chunks of 2^p[6] words.
layout(std430, binding = 0) readonly buffer Vox0 { uint w[]; } vox0;
layout(std430, binding = 1) readonly buffer Vox1 { uint w[]; } vox1;
layout(std430, binding = 2) readonly buffer Vox2 { uint w[]; } vox2;
layout(std430, binding = 3) readonly buffer Vox3 { uint w[]; } vox3;
// 0 w, 1 h, 2 mode (0 mip, 1 composite), 3 lmax, 4 perspective,
// 5 background rgba, 6 chunk word shift, 7-9 unused; 10 + 4 l: level l's
// size x, y, z and first voxel; from 112 floats: c[3], R[3], D[3], F[3],
// eye[3], scale, opacity.
layout(std430, binding = 4) readonly buffer Params { uint p[]; } prm;
layout(std430, binding = 5) writeonly buffer Out { uint v[]; } outv;

layout(push_constant) uniform Push {
	uint base;
	uint count;
} pc;

uint voxel(uint i)
{
	uint c = i >> prm.p[6];
	uint k = i & ((1u << prm.p[6]) - 1u);

	if (c == 0u)
		return vox0.w[k];
	if (c == 1u)
		return vox1.w[k];
	if (c == 2u)
		return vox2.w[k];
	return vox3.w[k];
}

float pf(uint i)
{
	return uintBitsToFloat(prm.p[112u + i]);
}

vec3 pv(uint i)
{
	return vec3(pf(i), pf(i + 1u), pf(i + 2u));
}

uint over(vec3 c, float a, uint bg)
{
	float ba = float(bg >> 24) / 255.0, oa = a + (1.0 - a) * ba;
	vec3 bc = vec3(float(bg & 255u), float((bg >> 8) & 255u),
	    float((bg >> 16) & 255u));
	vec3 o = oa > 0.0 ? (c * a + bc * (1.0 - a) * ba) / oa : vec3(0.0);
	uvec3 q = uvec3(min(o + 0.5, vec3(255.0)));
	return q.x | q.y << 8 | q.z << 16 | uint(oa * 255.0 + 0.5) << 24;
}

uint intensity(uint vx)
{
	return (77u * (vx & 255u) + 150u * ((vx >> 8) & 255u) +
	    29u * ((vx >> 16) & 255u) + 1u) * (vx >> 24);
}

void main()
{
	uint g = gl_WorkGroupID.y * 32768u + gl_WorkGroupID.x;
	uint li = g * 64u + gl_LocalInvocationID.x;
	uint W = prm.p[0], H = prm.p[1], bg = prm.p[5];
	if (li >= W * H)
		return;
	uint pi = li % W, pj = li / W;
	vec3 c = pv(0u), R = pv(3u), D = pv(6u), F = pv(9u), eye = pv(12u);
	float scale = pf(15u), op = pf(16u);
	float u = (float(pi) + 0.5 - float(W) / 2.0) / scale;
	float v = (float(pj) + 0.5 - float(H) / 2.0) / scale;
	vec3 o = c + u * R + v * D, d = F;
	uvec3 n = uvec3(prm.p[10], prm.p[11], prm.p[12]);
	vec3 nf = vec3(n);
	uint lmax = prm.p[3];
	bool comp = prm.p[2] == 1u;

	if (prm.p[4] != 0u) {
		d = normalize(o - eye);
		o = eye;
	}
	float t0 = -1e30, t1 = 1e30;
	vec3 inv;
	for (int i = 0; i < 3; i++) {
		if (d[i] == 0.0) {
			inv[i] = 1e30;
			if (o[i] < 0.0 || o[i] >= nf[i]) {
				outv.v[li] = bg;
				return;
			}
			continue;
		}
		inv[i] = 1.0 / d[i];
		float a = -o[i] * inv[i], b = (nf[i] - o[i]) * inv[i];
		t0 = max(t0, min(a, b));
		t1 = min(t1, max(a, b));
	}
	if (prm.p[4] != 0u)
		t0 = max(t0, 0.0);
	vec4 acc = vec4(0.0);
	uint best = 0u, mx = 0u;
	float t = t0;
	for (uint steps = 0u; t < t1 && steps < 65536u; steps++) {
		float te = t + 1e-4 * (1.0 + abs(t)), tx = 1e30;
		vec3 p = o + te * d;
		uvec3 ix = uvec3(clamp(floor(p), vec3(0.0), nf - 1.0));
		uint vx = voxel(ix.x + n.x * (ix.y + n.y * ix.z));
		uint L = 0u;
		if ((vx >> 24) == 0u) {
			for (uint l = lmax; l >= 1u; l--) {
				uint b = 10u + 4u * l;
				uvec3 m = ix >> l;
				uint w = voxel(prm.p[b + 3u] + m.x + prm.p[b] *
				    (m.y + prm.p[b + 1u] * m.z));
				if ((w >> 24) == 0u) {
					L = l;
					break;
				}
			}
		}
		for (int i = 0; i < 3; i++) {
			if (d[i] == 0.0)
				continue;
			float lo = float((ix[i] >> L) << L);
			float e = ((d[i] > 0.0 ? lo + float(1u << L) : lo) - o[i]) *
			    inv[i];
			tx = min(tx, e);
		}
		tx = min(tx, t1);
		if (tx <= t)
			tx = te;
		if ((vx >> 24) != 0u) {
			if (comp) {
				float a = min(float(vx >> 24) / 255.0 * op * (tx - t),
				    1.0);
				float f = (1.0 - acc.w) * a;
				acc.xyz += f * vec3(float(vx & 255u),
				    float((vx >> 8) & 255u), float((vx >> 16) & 255u));
				acc.w += f;
				if (acc.w >= 0.99)
					break;
			} else {
				uint it = intensity(vx);
				if (it > best) {
					best = it;
					mx = vx;
				}
			}
		}
		t = tx;
	}
	uint r;
	if (comp)
		r = acc.w <= 0.0 ? bg : over(acc.xyz / acc.w, acc.w, bg);
	else if ((mx >> 24) == 0u)
		r = bg;
	else if ((mx >> 24) == 255u)
		r = mx;
	else
		r = over(vec3(float(mx & 255u), float((mx >> 8) & 255u),
		    float((mx >> 16) & 255u)), float(mx >> 24) / 255.0, bg);
	outv.v[li] = r;
}
