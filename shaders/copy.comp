// copy -- a plain device copy of 16-byte words, the memory-bandwidth
// yardstick for bench/hilbert.sh.
#version 450

layout(local_size_x = 256) in;
layout(std430, binding = 0) readonly buffer Src { uvec4 v[]; } src;
layout(std430, binding = 1) writeonly buffer Dst { uvec4 v[]; } dst;
layout(push_constant) uniform Push { uint base; uint count; } pc;

void main()
{
	uint i = (gl_WorkGroupID.y * 32768u + gl_WorkGroupID.x) * 256u +
	    gl_LocalInvocationID.x;
	if (i < pc.count)
		dst.v[i] = src.v[i];
}
