#include "shaders.h"

#include <string.h>

const struct qhb_shader *qhb_shader_find(const char *name)
{
	for (const struct qhb_shader *s = qhb_shaders; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}
