/*
 * execlog-plugin -- the comparison point of bench/trace.sh: a TCG plugin in
 * the style of QEMU's contrib/plugins/execlog.c and of the seed's tracer.
 * At translation it asks QEMU to disassemble every instruction (a string
 * per instruction); at execution a callback per instruction formats
 * "vcpu, pc, disassembly" into a line and writes it out, here to a FILE on
 * /dev/null (arg out=PATH), so that what is measured is the callback, the
 * formatting and the stdio, not a disk.
 *
 * Built by bench/trace.sh, not by make; declarations from plugin/qemu-api.h
 * plus the one call only this plugin uses.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-api.h"

char *qemu_plugin_insn_disas(const struct qemu_plugin_insn *insn);

__attribute__((visibility("default")))
int qemu_plugin_version = QHB_QEMU_PLUGIN_VERSION;

struct insn_info {
	uint64_t pc;
	char *disas;              /* from QEMU, never freed, as execlog does */
};

static struct {
	pthread_mutex_t lock;
	FILE *out;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void insn_exec(unsigned int vcpu, void *udata)
{
	const struct insn_info *in = udata;

	fprintf(g.out, "%u, 0x%" PRIx64 ", \"%s\"\n", vcpu, in->pc, in->disas);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		struct insn_info *in = malloc(sizeof(*in));

		if (in == NULL)
			abort();
		in->pc = qemu_plugin_insn_vaddr(insn);
		in->disas = qemu_plugin_insn_disas(insn);
		qemu_plugin_register_vcpu_insn_exec_cb(insn, insn_exec,
		    QEMU_PLUGIN_CB_NO_REGS, in);
	}
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	fflush(g.out);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
    int argc, char **argv)
{
	const char *out = "/dev/null";

	(void)info;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "out=", 4) == 0)
			out = argv[i] + 4;
		else
			return -1;
	}
	if ((g.out = fopen(out, "w")) == NULL)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
