/*
 * install -- the files beside an installed program.  See install.h.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "install.h"

int qhb_install_path(const char *rel, int mode, char *buf, size_t size)
{
	char self[PATH_MAX], *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return -1;
	*slash = '\0';
	if ((size_t)snprintf(buf, size, "%s/../%s", self, rel) >= size ||
	    access(buf, mode) != 0)
		return -1;
	return 0;
}
