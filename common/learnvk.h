/*
 * learnvk -- the Pixel CPU on a Vulkan device: shaders/pixelcpu.comp runs
 * one program over many states, one thread a state, with results identical
 * to the reference interpreter (qhb_pcpu_run).
 */
#ifndef QHB_LEARNVK_H
#define QHB_LEARNVK_H

#include <stddef.h>

#include "err.h"
#include "learn.h"
#include "pixelcpu.h"
#include "vk.h"

/* Runs p (n instructions, checked) on count states in place, in as many
 * dispatches as the device's binding range needs; with mem (count
 * windows, or NULL for none: every access is then outside), the windows'
 * bytes and faults are updated as qhb_pcpu_run_mem would.  *gpu_ns (may
 * be NULL) gets the dispatch time.  Returns 0, or -1 with e (the states
 * are then partly run). */
int qhb_learnvk_run(struct qhb_vk *vk, const struct qhb_pcpu_insn *p,
    size_t n, struct qhb_pcpu_state *s, struct qhb_pcpu_mem *mem,
    size_t count, uint64_t *gpu_ns, struct qhb_err *e);
/* The same for a library entry's microcode, run only when
 * qhb_learn_entry_runnable says so (else -1 with e, nothing run). */
int qhb_learnvk_run_entry(struct qhb_vk *vk, const struct qhb_learn_entry *en,
    struct qhb_pcpu_state *s, struct qhb_pcpu_mem *mem, size_t count,
    uint64_t *gpu_ns, struct qhb_err *e);

#endif
