// diag_fill -- hilbert-diag: the plainest fill of 16-byte words, a thread
// a word, linear: the write bandwidth yardstick.
#version 450
layout(local_size_x = 256) in;
layout(std430, binding = 0) writeonly buffer Dst { uvec4 v[]; } dst;
layout(push_constant) uniform Push { uint base; uint count; } pc;

void main()
{
	uint i = (gl_WorkGroupID.y * 32768u + gl_WorkGroupID.x) * 256u +
	    gl_LocalInvocationID.x;
	if (i < pc.count)
		dst.v[i] = uvec4(i, pc.base, i ^ 0x5a5a5a5au, 1u);
}
