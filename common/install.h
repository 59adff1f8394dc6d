/*
 * install -- the files make install puts beside the programs: the plugin
 * in PREFIX/lib/qhb, the demo guest in PREFIX/share/qhb/guest.
 */
#ifndef QHB_INSTALL_H
#define QHB_INSTALL_H

#include <stddef.h>

/* Puts DIR/../rel into buf, DIR being where the running program lies,
 * when that path fits and can be accessed with mode (as access(2)).
 * Returns 0, or -1 when it cannot. */
int qhb_install_path(const char *rel, int mode, char *buf, size_t size);

#endif
