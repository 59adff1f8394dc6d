/*
 * isf -- a Volatility 3 Intermediate Symbol Format file, built from a
 * kernel's BTF and the symbols found with it.
 *
 * The ISF (volatility3's schema, format 6.2.0) holds base_types,
 * user_types (structs and unions with member offsets), enums, symbols
 * (addresses without KASLR, as in a System.map) and metadata.  Kernel BTF
 * has no types for global variables, so the symbols Volatility's Linux
 * plugins read (init_task, linux_banner, ...) are given theirs here.
 */
#ifndef QHB_ISF_H
#define QHB_ISF_H

#include <jansson.h>

#include "err.h"
#include "kernel.h"

/* Returns a new ISF object, or NULL with e filled. */
json_t *qhb_isf_build(struct qhb_kernel *k, struct qhb_err *e);

#endif
