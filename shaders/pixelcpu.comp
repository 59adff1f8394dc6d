// pixelcpu -- the Pixel CPU interpreter (man/pixel-cpu.7): one thread runs
// the program on one state.  Op by op the reference interpreter of
// common/pixelcpu.c, with 64-bit values as uvec2 (x low, y high) so that
// the device needs no shaderInt64.
#version 450

layout(local_size_x = 64) in;
layout(std430, binding = 0) readonly buffer Prog { uvec4 insn[]; } prog;
layout(std430, binding = 1) buffer States { uint v[]; } st;
// Memory windows, one a state, pc.stride words apart: base (2 words),
// size in bytes, fault, then the bytes (common/learnvk.c packs them).
layout(std430, binding = 2) buffer Mem { uint w[]; } mem;
layout(push_constant) uniform Push { uint count; uint ninsn; uint stride; } pc;

uvec2 r[80];   // QHB_PCPU_NREG
uint mbase;

// The word and shift of the byte at addr in this state's window, or
// false (the window's fault set) when the byte is outside it.
bool memword(uvec2 addr, out uint wi, out uint sh)
{
	if (pc.stride == 0u)
		return false;
	uint b;
	uint lo = usubBorrow(addr.x, mem.w[mbase], b);
	uint hi = addr.y - mem.w[mbase + 1u] - b;
	if (hi != 0u || lo >= mem.w[mbase + 2u]) {
		mem.w[mbase + 3u] = 1u;
		return false;
	}
	wi = mbase + 4u + (lo >> 2);
	sh = (lo & 3u) * 8u;
	return true;
}

uvec2 shl64(uvec2 a, uint n)
{
	if (n == 0u) return a;
	if (n < 32u) return uvec2(a.x << n, (a.y << n) | (a.x >> (32u - n)));
	if (n < 64u) return uvec2(0u, a.x << (n - 32u));
	return uvec2(0u);
}

uvec2 shr64(uvec2 a, uint n)
{
	if (n == 0u) return a;
	if (n < 32u) return uvec2((a.x >> n) | (a.y << (32u - n)), a.y >> n);
	if (n < 64u) return uvec2(a.y >> (n - 32u), 0u);
	return uvec2(0u);
}

uvec2 sar64(uvec2 a, uint n)
{
	uint s = (a.y & 0x80000000u) != 0u ? 0xffffffffu : 0u;
	if (n == 0u) return a;
	if (n < 32u) return uvec2((a.x >> n) | (a.y << (32u - n)),
	    uint(int(a.y) >> int(n)));
	return uvec2(uint(int(a.y) >> int(min(n - 32u, 31u))), s);
}

uvec2 mask(uint W)
{
	return W == 64u ? uvec2(0xffffffffu) : W == 32u ? uvec2(0xffffffffu, 0u) :
	    uvec2((1u << W) - 1u, 0u);
}

uint bitof(uvec2 a, uint i)
{
	return i < 32u ? (a.x >> i) & 1u : (a.y >> (i - 32u)) & 1u;
}

uvec2 sext(uvec2 a, uint W)
{
	if (W == 64u) return a;
	if (W == 32u) return uvec2(a.x, (a.x & 0x80000000u) != 0u ? 0xffffffffu : 0u);
	int v = int(a.x << (32u - W)) >> int(32u - W);
	return uvec2(uint(v), v < 0 ? 0xffffffffu : 0u);
}

uvec2 add64(uvec2 a, uvec2 b, uint cin, out uint cout)
{
	uint c1, c2, c3, c4;
	uint lo = uaddCarry(a.x, b.x, c1);
	lo = uaddCarry(lo, cin, c2);
	uint hi = uaddCarry(a.y, b.y, c3);
	hi = uaddCarry(hi, c1 + c2, c4);
	cout = c3 | c4;
	return uvec2(lo, hi);
}

uvec2 sub64(uvec2 a, uvec2 b, uint bin, out uint bout)
{
	uint b1, b2, b3, b4;
	uint lo = usubBorrow(a.x, b.x, b1);
	lo = usubBorrow(lo, bin, b2);
	uint hi = usubBorrow(a.y, b.y, b3);
	hi = usubBorrow(hi, b1 + b2, b4);
	bout = b3 | b4;
	return uvec2(lo, hi);
}

bool cond(uint cc, uint f)
{
	bool cf = (f & 1u) != 0u, pf = (f & 4u) != 0u, zf = (f & 64u) != 0u;
	bool sf = (f & 128u) != 0u, of = (f & 2048u) != 0u, res;
	switch ((cc & 15u) >> 1) {
	case 0u: res = of; break;
	case 1u: res = cf; break;
	case 2u: res = zf; break;
	case 3u: res = cf || zf; break;
	case 4u: res = sf; break;
	case 5u: res = pf; break;
	case 6u: res = sf != of; break;
	default: res = zf || (sf != of); break;
	}
	return (cc & 1u) != 0u ? !res : res;
}

uint fbits(uint fm)
{
	return (fm & 1u) | ((fm & 2u) << 1) | ((fm & 4u) << 2) |
	    ((fm & 8u) << 3) | ((fm & 16u) << 3) | ((fm & 32u) << 6);
}

uint zsp(uvec2 rm, uint W)
{
	uint f = 0u;
	if (rm.x == 0u && rm.y == 0u) f |= 8u;
	if (bitof(rm, W - 1u) != 0u) f |= 16u;
	if ((bitCount(rm.x & 0xffu) & 1) == 0) f |= 2u;
	return f;
}

// 64 x 64 -> 128 signed product of a and b: (lo, hi)
void smul(uvec2 a, uvec2 b, out uvec2 lo, out uvec2 hi)
{
	uint p0h, p0l, p1h, p1l, p2h, p2l, p3h, p3l, c;
	umulExtended(a.x, b.x, p0h, p0l);
	umulExtended(a.x, b.y, p1h, p1l);
	umulExtended(a.y, b.x, p2h, p2l);
	umulExtended(a.y, b.y, p3h, p3l);
	uvec2 mid = add64(uvec2(p1l, p1h), uvec2(p2l, p2h), 0u, c);
	uint c2, t;
	uint w1 = uaddCarry(p0h, mid.x, c2);
	lo = uvec2(p0l, w1);
	uvec2 h = add64(uvec2(p3l, p3h), uvec2(mid.y, c), c2, t);
	if ((a.y & 0x80000000u) != 0u) h = sub64(h, b, 0u, t);
	if ((b.y & 0x80000000u) != 0u) h = sub64(h, a, 0u, t);
	hi = h;
}

bool ge64(uvec2 a, uvec2 b)
{
	return a.y > b.y || (a.y == b.y && a.x >= b.x);
}

// (hi:lo) / d and % d for W-bit hi, lo, d, by restoring division; false
// when d is 0 or the quotient needs more than W bits (hi >= d).
bool divmod(uvec2 hi, uvec2 lo, uvec2 d, uint W, out uvec2 q, out uvec2 rem)
{
	uint t;
	q = uvec2(0u);
	rem = hi;
	if ((d.x | d.y) == 0u || ge64(hi, d))
		return false;
	for (uint i = W; i-- > 0u;) {
		uint carry = bitof(rem, W - 1u);
		rem = (shl64(rem, 1u) | uvec2(bitof(lo, i), 0u)) & mask(W);
		if (carry != 0u || ge64(rem, d)) {
			rem = sub64(rem, d, 0u, t) & mask(W);
			if (i < 32u) q.x |= 1u << i; else q.y |= 1u << (i - 32u);
		}
	}
	return true;
}

// The vector ops, 27..32 (QHB_PCPU_PADD..QHB_PCPU_PMSKB): lanes of W
// bits side by side in 64, all 64 bits written, no flags.
uvec2 vlanes(uint op, uint W, uvec2 x, uvec2 y)
{
	uvec2 M = mask(W), res = uvec2(0u);
	bool big = y.y != 0u || y.x >= W;
	uint t;
	for (uint i = 0u; i < 64u; i += W) {
		uvec2 l = shr64(x, i) & M, v = shr64(y, i) & M;
		if (op == 27u) l = add64(l, v, 0u, t) & M;
		else if (op == 28u) l = big ? uvec2(0u) : shl64(l, y.x) & M;
		else if (op == 29u) l = big ? uvec2(0u) : shr64(l, y.x);
		else l = l == v ? M : uvec2(0u);
		res |= shl64(l, i);
	}
	return res;
}

uvec2 vpshufb(uint W, uvec2 x, uvec2 lo, uvec2 hi)
{
	uvec2 res = uvec2(0u);
	for (uint i = 0u; i < W / 8u; i++) {
		uint k = shr64(x, 8u * i).x & 255u;
		uvec2 src = (k & 8u) != 0u ? hi : lo;
		if ((k & 128u) == 0u)
			res |= shl64(uvec2(shr64(src, 8u * (k & 7u)).x & 255u, 0u),
			    8u * i);
	}
	return res;
}

uvec2 vpmskb(uint W, uvec2 x)
{
	uint m = 0u;
	for (uint i = 0u; i < W / 8u; i++)
		m |= bitof(x, 8u * i + 7u) << i;
	return uvec2(m, 0u);
}

// 0 - a, W bits
uvec2 neg64(uvec2 a, uint W)
{
	uint t;
	return sub64(uvec2(0u), a, 0u, t) & mask(W);
}

// divs, rems (38, 39): (hi:lo) / d signed, by divmod on the magnitudes;
// false for x86's #DE (d 0, or the quotient past W bits signed)
bool sdivmod(uvec2 hi, uvec2 lo, uvec2 d, uint W, out uvec2 q, out uvec2 rem)
{
	uint t;
	bool nn = bitof(hi, W - 1u) != 0u, nd = bitof(d, W - 1u) != 0u;
	q = uvec2(0u);
	rem = uvec2(0u);
	if (nn) {
		// the 2W-bit negation: ~hi:~lo + 1
		uvec2 l = add64(~lo & mask(W), uvec2(1u, 0u), 0u, t);
		uint cy = W == 64u ? t : bitof(l, W);
		lo = l & mask(W);
		hi = add64(~hi & mask(W), uvec2(cy, 0u), 0u, t) & mask(W);
	}
	if (nd) d = neg64(d, W);
	if (!divmod(hi, lo, d, W, q, rem))
		return false;
	uvec2 lim = shl64(uvec2(1u, 0u), W - 1u);
	if (nn != nd) {
		if (!ge64(lim, q)) return false;
		q = neg64(q, W);
	} else if (ge64(q, lim)) {
		return false;
	}
	if (nn) rem = neg64(rem, W);
	return true;
}

// ctz, clz, popcnt, mulhu, mulhs (33..37) of W-bit x and y; f their flags
uvec2 countmul(uint op, uvec2 x, uvec2 y, uint W, out uint f)
{
	bool z = (x.x | x.y) == 0u;
	uvec2 lo, hi, res;
	uint t;
	f = 0u;
	if (op == 35u) {
		if (z) f = 8u;
		return uvec2(uint(bitCount(x.x) + bitCount(x.y)), 0u);
	}
	if (op == 33u || op == 34u) {
		uint n = W;
		if (!z && op == 33u)
			n = x.x != 0u ? uint(findLSB(x.x)) : 32u + uint(findLSB(x.y));
		else if (!z)
			n = W - 1u - (x.y != 0u ? 32u + uint(findMSB(x.y)) :
			    uint(findMSB(x.x)));
		if (z) f |= 1u;
		if (n == 0u) f |= 8u;
		return uvec2(n, 0u);
	}
	if (op == 36u) {
		// unsigned: the signed product's high half corrected (W 64),
		// or the whole product in lo (W up to 32)
		smul(x, y, lo, hi);
		if ((x.y & 0x80000000u) != 0u) hi = add64(hi, y, 0u, t);
		if ((y.y & 0x80000000u) != 0u) hi = add64(hi, x, 0u, t);
		res = W == 64u ? hi : shr64(lo, W) & mask(W);
		if ((res.x | res.y) != 0u) f = 33u;
		return res;
	}
	smul(sext(x, W), sext(y, W), lo, hi);
	uint sg = (lo.y & 0x80000000u) != 0u ? 0xffffffffu : 0u;
	if (lo != sext(lo & mask(W), W) || hi != uvec2(sg)) f = 33u;
	return W == 64u ? hi : shr64(lo, W) & mask(W);
}

void step(uvec4 ins)
{
	uint op = ins.x & 255u, d = (ins.x >> 8) & 255u, a = (ins.x >> 16) & 255u;
	uint b = ins.x >> 24, w = ins.y & 255u, fm = (ins.y >> 8) & 255u;
	bool bimm = ((ins.y >> 16) & 255u) != 0u;
	uint W = 8u << w;
	uvec2 M = mask(W);
	uvec2 x = r[a], y = bimm ? ins.zw : r[b];
	uvec2 xm = x & M, ym = y & M, res = uvec2(0u);
	uint cin = r[16].x & 1u, f = 0u, c, t;
	bool logic = true, zspf = false, full = false;

	switch (op) {
	case 0u: res = xm; break;
	case 1u: case 2u: {
		if (op == 1u) cin = 0u;
		uvec2 s = add64(xm, ym, cin, t);
		res = s & M;
		f = W == 64u ? t : bitof(s, W);
		if (bitof((xm ^ res) & (ym ^ res), W - 1u) != 0u) f |= 32u;
		if (((xm.x ^ ym.x ^ res.x) & 16u) != 0u) f |= 4u;
		logic = false; zspf = true;
		break;
	}
	case 9u: case 3u: case 4u: {
		if (op == 9u) { ym = xm; xm = uvec2(0u); }
		if (op != 4u) cin = 0u;
		uvec2 s = sub64(xm, ym, cin, t);
		res = s & M;
		f = W == 64u ? t : bitof(s, 63u);
		if (bitof((xm ^ ym) & (xm ^ res), W - 1u) != 0u) f |= 32u;
		if (((xm.x ^ ym.x ^ res.x) & 16u) != 0u) f |= 4u;
		logic = false; zspf = true;
		break;
	}
	case 5u: res = xm & ym; break;
	case 6u: res = xm | ym; break;
	case 7u: res = xm ^ ym; break;
	case 8u: res = ~xm & M; break;
	case 10u: case 11u: case 12u:
		c = y.x & (W == 64u ? 63u : 31u);
		logic = false;
		if (c == 0u) { res = xm; fm = 0u; break; }
		if (op == 10u) {
			res = c >= W ? uvec2(0u) : shl64(xm, c) & M;
			f = c <= W ? shr64(xm, W - c).x & 1u : 0u;
			if ((bitof(res, W - 1u) ^ (f & 1u)) != 0u) f |= 32u;
		} else if (op == 11u) {
			res = c >= W ? uvec2(0u) : shr64(xm, c);
			f = c <= W ? shr64(xm, c - 1u).x & 1u : 0u;
			if (bitof(xm, W - 1u) != 0u) f |= 32u;
		} else {
			uvec2 sx = sext(xm, W);
			res = sar64(sx, min(c, 63u)) & M;
			f = sar64(sx, min(c - 1u, 63u)).x & 1u;
		}
		zspf = true;
		break;
	case 13u: case 14u:
		c = y.x & (W == 64u ? 63u : 31u);
		logic = false;
		fm &= 33u;
		if (c == 0u) { res = xm; fm = 0u; break; }
		c %= W;
		if (op == 13u) {
			res = c != 0u ? (shl64(xm, c) | shr64(xm, W - c)) & M : xm;
			f = res.x & 1u;
			if ((bitof(res, W - 1u) ^ f) != 0u) f |= 32u;
		} else {
			res = c != 0u ? (shr64(xm, c) | shl64(xm, W - c)) & M : xm;
			f = bitof(res, W - 1u);
			if ((bitof(res, W - 1u) ^ bitof(res, W - 2u)) != 0u) f |= 32u;
		}
		break;
	case 15u: {
		uvec2 lo, hi;
		smul(sext(xm, W), sext(ym, W), lo, hi);
		res = lo & M;
		uvec2 sr = sext(res, W);
		uint sg = (lo.y & 0x80000000u) != 0u ? 0xffffffffu : 0u;
		if (lo != sr || hi != uvec2(sg)) f = 33u;
		logic = false; zspf = true;
		break;
	}
	case 16u: res = sext(xm, W); full = true; break;
	case 17u: {
		uint pos = y.x & 63u;
		uvec2 m = shl64(M, pos);
		res = (r[d] & ~m) | (shl64(xm, pos) & m);
		full = true;
		break;
	}
	case 18u: res = shr64(x, y.x & 63u) & M; break;
	case 19u: {
		uvec2 s = uvec2(
		    (xm.y >> 24) | ((xm.y >> 8) & 0xff00u) | ((xm.y << 8) & 0xff0000u) | (xm.y << 24),
		    (xm.x >> 24) | ((xm.x >> 8) & 0xff00u) | ((xm.x << 8) & 0xff0000u) | (xm.x << 24));
		res = shr64(s, 64u - W);
		break;
	}
	case 20u: res = uvec2(cond(ins.z, r[16].x) ? 1u : 0u, 0u); break;
	case 21u: res = ((y.x | y.y) != 0u ? x : r[d]) & M; break;
	case 24u: case 25u: {
		uvec2 q, rem;
		fm = 0u;
		if (!divmod(r[d] & M, xm, ym, W, q, rem)) {
			r[28] = uvec2(1u, 0u);
			res = uvec2(0u);
		} else {
			res = op == 24u ? q : rem;
		}
		break;
	}
	case 22u: case 23u: {
		uvec2 base = add64(op == 22u ? x : r[d], y, 0u, t);
		uint wi, sh;
		for (uint i = 0u; i < W / 8u; i++) {
			uvec2 ad = add64(base, uvec2(i, 0u), 0u, t);
			bool inw = memword(ad, wi, sh);
			if (op == 22u) {
				uint bv = inw ? (mem.w[wi] >> sh) & 255u : 0u;
				if (i < 4u) res.x |= bv << (8u * i);
				else res.y |= bv << (8u * (i - 4u));
			} else if (inw) {
				uint bv = (i < 4u ? x.x >> (8u * i) :
				    x.y >> (8u * (i - 4u))) & 255u;
				mem.w[wi] = (mem.w[wi] & ~(255u << sh)) | (bv << sh);
			}
		}
		if (op == 23u) return;
		fm = 0u;
		break;
	}
	case 27u: case 28u: case 29u: case 30u:
		res = vlanes(op, W, x, y);
		fm = 0u;
		break;
	case 31u: res = vpshufb(W, x, r[b], r[b + 1u]); fm = 0u; break;
	case 32u: res = vpmskb(W, x); fm = 0u; break;
	case 33u: case 34u: case 35u: case 36u: case 37u:
		res = countmul(op, xm, ym, W, f);
		logic = false;
		break;
	case 38u: case 39u: {
		uvec2 q, rem;
		fm = 0u;
		bool ok = sdivmod(r[d] & M, xm, ym, W, q, rem);
		if (!ok) r[28] = uvec2(1u, 0u);
		res = !ok ? uvec2(0u) : op == 38u ? q : rem;
		break;
	}
	default: return;
	}
	if (logic) f = zsp(res & M, W);
	else if (zspf) f |= zsp(res & M, W);
	r[d] = res;
	if (fm != 0u) {
		uint bm = fbits(fm);
		r[16].x = (r[16].x & ~bm) | (fbits(f) & bm);
	}
}

void main()
{
	uint i = (gl_WorkGroupID.y * 32768u + gl_WorkGroupID.x) * 64u +
	    gl_LocalInvocationID.x;
	if (i >= pc.count)
		return;
	uint base = i * 160u;
	mbase = i * pc.stride;
	for (uint k = 0u; k < 80u; k++)
		r[k] = uvec2(st.v[base + 2u * k], st.v[base + 2u * k + 1u]);
	for (uint p = 0u; p < pc.ninsn; p++)
		step(prog.insn[p]);
	for (uint k = 0u; k < 80u; k++) {
		st.v[base + 2u * k] = r[k].x;
		st.v[base + 2u * k + 1u] = r[k].y;
	}
}
