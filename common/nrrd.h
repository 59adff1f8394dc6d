/*
 * nrrd -- a volume (common/volume.h) as an NRRD file (teem's "nearly raw
 * raster data", NRRD0004), which ParaView, 3D Slicer and Fiji open: the
 * level 0 voxels as uint8 RGBA, raw, x fastest, with the volume's
 * metadata in comments and key/value lines.
 */
#ifndef QHB_NRRD_H
#define QHB_NRRD_H

#include "err.h"
#include "volume.h"

/* Writes v to fd (not closed).  Returns 0, or -1 with e. */
int qhb_nrrd_write(int fd, const struct qhb_volume *v, struct qhb_err *e);

#endif
