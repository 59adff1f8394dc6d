/*
 * shaders -- the compute shaders in shaders/, compiled to SPIR-V by
 * glslc at build time and embedded in every binary.
 */
#ifndef QHB_SHADERS_H
#define QHB_SHADERS_H

#include <stddef.h>

struct qhb_shader {
	const char *name;             /* file name without .comp */
	const unsigned char *spirv;   /* 4-byte aligned */
	size_t size;                  /* bytes */
};

/* Every embedded shader, ended by an entry whose name is NULL. */
extern const struct qhb_shader qhb_shaders[];

/* Returns the shader called name, or NULL. */
const struct qhb_shader *qhb_shader_find(const char *name);

#endif
