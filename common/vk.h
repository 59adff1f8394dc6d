/*
 * vk -- the headless Vulkan compute backend that qhb's GPU programs share.
 *
 * One instance with no surface, one device (discrete GPUs first; the
 * environment variable QHB_DEVICE picks one by index or by a substring of
 * its name), one compute queue, pipelines built from the SPIR-V that
 * common/shaders.h embeds, with a pipeline cache on disk
 * ($XDG_CACHE_HOME/qhb or ~/.cache/qhb), and storage buffers in device
 * memory, mapped when the device lets the host see it and filled through a
 * staging buffer when not.  Host memory is imported without a copy through
 * VK_EXT_external_memory_host where the device has it.  A buffer larger
 * than the device's maxStorageBufferRange is bound in chunks of
 * qhb_vk_chunk() bytes; shaders index the chunks.  Every dispatch is timed
 * with timestamp queries.
 *
 * struct qhb_vk owns every Vulkan object and destroys them in reverse order
 * in qhb_vk_close().  Nothing here prints.
 */
#ifndef QHB_VK_H
#define QHB_VK_H

#include <stdint.h>

#include <vulkan/vulkan.h>

#include "err.h"

struct qhb_vk;

struct qhb_vk_stats {
	uint64_t dispatches;
	uint64_t gpu_ns;          /* dispatch time, from timestamps */
	uint64_t upload_bytes, upload_ns;
	uint64_t download_bytes, download_ns;
	uint64_t imported_bytes;  /* host memory used in place */
};

struct qhb_vk_buf {
	VkBuffer buf;
	VkDeviceMemory mem;
	uint64_t size;
	void *map;                /* host pointer when host-visible, else NULL */
	int imported;             /* memory is the caller's host memory */
	uint64_t host_off;        /* imported: where the caller's bytes begin */
};

struct qhb_vk_binding {
	const struct qhb_vk_buf *b;
	uint64_t off, range;
};

/*
 * Functions used to open and close the backend.
 */
/* Opens the device QHB_DEVICE names, or the first discrete GPU, or the
 * first device.  Returns NULL with e filled when there is no device (or
 * no loader); the caller then uses its CPU path. */
struct qhb_vk *qhb_vk_open(struct qhb_err *e);
/* Saves the pipeline cache and destroys everything.  NULL is a no-op. */
void qhb_vk_close(struct qhb_vk *vk);
/* "llvmpipe (LLVM 15.0.7, 256 bits)", "NVIDIA H100 80GB HBM3", ... */
const char *qhb_vk_device_name(const struct qhb_vk *vk);
/* The pipeline cache file qhb_vk_close() writes, "" when there is none
 * (for common/sandbox, which must leave its directory writable). */
const char *qhb_vk_cache_path(const struct qhb_vk *vk);
/* Bytes of one binding chunk: a power of two <= maxStorageBufferRange,
 * lowered by the environment variable QHB_VK_CHUNK (for tests). */
uint64_t qhb_vk_chunk(const struct qhb_vk *vk);
const struct qhb_vk_stats *qhb_vk_stats(const struct qhb_vk *vk);

/*
 * Functions used for buffers.  Each returns 0, or -1 with e filled and
 * nothing allocated.
 */
/* A storage buffer of size bytes.  With host not NULL, tries to import
 * those size bytes of host memory in place (read-only use: the device
 * reads the caller's memory, which must outlive the buffer); falls back
 * to a copy, uploaded here. */
int qhb_vk_buf_new(struct qhb_vk *vk, struct qhb_vk_buf *b, uint64_t size,
    const void *host, struct qhb_err *e);
void qhb_vk_buf_free(struct qhb_vk *vk, struct qhb_vk_buf *b);
int qhb_vk_write(struct qhb_vk *vk, struct qhb_vk_buf *b, uint64_t off,
    const void *src, uint64_t n, struct qhb_err *e);
int qhb_vk_read(struct qhb_vk *vk, const struct qhb_vk_buf *b, uint64_t off,
    void *dst, uint64_t n, struct qhb_err *e);
/* Writes n blocks of len bytes, block i from src + src_off[i] to
 * dst_off[i] in b, in one transfer per staging buffer's worth: how a
 * delta frame's pages go up. */
int qhb_vk_write_blocks(struct qhb_vk *vk, struct qhb_vk_buf *b,
    const uint64_t *dst_off, const uint8_t *src, const uint64_t *src_off,
    uint64_t len, uint64_t n, struct qhb_err *e);

/* A buffer in host-visible memory, mapped at b->map: with shader_reads,
 * for the host to write and shaders to read (device-local memory the host
 * can map, where the device has it: parameters); else host-cached where
 * the device has it, for the host to read (pictures read back). */
int qhb_vk_buf_new_host(struct qhb_vk *vk, struct qhb_vk_buf *b,
    uint64_t size, int shader_reads, struct qhb_err *e);

/*
 * Functions used to run shaders.
 */
/* Runs the embedded shader called name on groups workgroups (the shader
 * rebuilds a linear group index from a 2D grid of rows of 32768), with
 * nbind storage buffers at bindings 0.. and push constants.  Waits for
 * it.  Returns 0, or -1 with e. */
int qhb_vk_run(struct qhb_vk *vk, const char *name,
    const struct qhb_vk_binding *bind, unsigned nbind, const void *push,
    unsigned push_size, uint64_t groups, struct qhb_err *e);

/*
 * Functions used to keep work in flight: up to QHB_VK_SLOTS dispatches,
 * each in its own slot (command buffer, fence, descriptor set), run while
 * the host does other work.  Buffers a slot uses must not be written
 * until it has been waited for.
 */
#define QHB_VK_SLOTS 4
/* As qhb_vk_run, in slot (0 to QHB_VK_SLOTS - 1, idle), then, with from
 * not NULL, a copy of n bytes from the start of from to the start of to
 * (host-visible); submits and returns without waiting.  Returns 0, or -1
 * with e and the slot idle. */
int qhb_vk_run_async(struct qhb_vk *vk, unsigned slot, const char *name,
    const struct qhb_vk_binding *bind, unsigned nbind, const void *push,
    unsigned push_size, uint64_t groups, const struct qhb_vk_buf *from,
    const struct qhb_vk_buf *to, uint64_t n, struct qhb_err *e);
/* Waits for slot's work, whose writes the host then sees.  An idle slot
 * returns at once.  Returns 0, or -1 with e; the slot is idle after. */
int qhb_vk_wait(struct qhb_vk *vk, unsigned slot, struct qhb_err *e);

#endif
