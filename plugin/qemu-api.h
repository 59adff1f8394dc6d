/*
 * qemu-api -- the part of QEMU's TCG plugin API (version 1, QEMU 7.2) that
 * libqhbtrace uses, declared here because Debian ships no qemu-plugin.h.
 *
 * Written from the documentation of include/qemu/qemu-plugin.h in QEMU
 * 7.2; only what plugin/qhbtrace.c and bench/execlog-plugin.c call is
 * declared.  QEMU resolves these
 * symbols in its own executable when it dlopen()s the plugin, and refuses
 * a plugin whose exported qemu_plugin_version it does not support; the
 * plugin in turn checks the version range QEMU passes to install.
 */
#ifndef QHB_QEMU_API_H
#define QHB_QEMU_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The API version this plugin is written against. */
#define QHB_QEMU_PLUGIN_VERSION 1

typedef uint64_t qemu_plugin_id_t;

/* What QEMU tells the plugin at install time. */
typedef struct qemu_info_t {
	const char *target_name;   /* "x86_64", ... */
	struct {
		int min;           /* oldest API version QEMU still serves */
		int cur;           /* the version QEMU implements */
	} version;
	bool system_emulation;     /* false in user mode */
	union {
		struct {
			int smp_vcpus;
			int max_vcpus;
		} system;
	};
} qemu_info_t;

/* Opaque handles, valid only inside the callback that gave them. */
struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_plugin_hwaddr;
typedef uint32_t qemu_plugin_meminfo_t;

enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};

enum qemu_plugin_mem_rw {
	QEMU_PLUGIN_MEM_R = 1,
	QEMU_PLUGIN_MEM_W,
	QEMU_PLUGIN_MEM_RW,
};

/* Inline operations QEMU emits into translated code; version 1 has one. */
enum qemu_plugin_op {
	QEMU_PLUGIN_INLINE_ADD_U64,
};

typedef void (*qemu_plugin_simple_cb_t)(qemu_plugin_id_t id);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_simple_cb_t)(qemu_plugin_id_t id,
    unsigned int vcpu_index);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
    void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
    struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index,
    qemu_plugin_meminfo_t info, uint64_t vaddr, void *userdata);

/* Entry point the plugin exports; nonzero refuses the load. */
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
    int argc, char **argv);

/* Registration. */
void qemu_plugin_register_vcpu_init_cb(qemu_plugin_id_t id,
    qemu_plugin_vcpu_simple_cb_t cb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
    qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
    enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
    qemu_plugin_vcpu_udata_cb_t cb, enum qemu_plugin_cb_flags flags,
    void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
    enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn,
    qemu_plugin_vcpu_mem_cb_t cb, enum qemu_plugin_cb_flags flags,
    enum qemu_plugin_mem_rw rw, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
    qemu_plugin_udata_cb_t cb, void *userdata);

/* Translation blocks and their instructions, at translation time. */
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb,
    size_t idx);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void *qemu_plugin_insn_haddr(const struct qemu_plugin_insn *insn);

/* Memory accesses, inside a memory callback. */
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
struct qemu_plugin_hwaddr *qemu_plugin_get_hwaddr(qemu_plugin_meminfo_t info,
    uint64_t vaddr);
bool qemu_plugin_hwaddr_is_io(const struct qemu_plugin_hwaddr *haddr);
uint64_t qemu_plugin_hwaddr_phys_addr(const struct qemu_plugin_hwaddr *haddr);

/* Miscellany. */
void qemu_plugin_outs(const char *string);
const char *qemu_plugin_path_to_binary(void);

#endif
