/* Unit tests of common/cgroup: the systemd-run command line that holds a
 * guest to its limits on a host systemd runs (which CI is not), with each
 * limit as its property and none without it; and the limits' test. */
#include <string.h>

#include "cgroup.h"
#include "unit.h"

/* argv joined by spaces into buf. */
static const char *joined(const struct qhb_cgroup_scope *s, char *buf,
    size_t size)
{
	int i;

	buf[0] = '\0';
	for (i = 0; i < s->argc; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
		    i ? " " : "", s->argv[i]);
	return buf;
}

static void test_scope_all(void)
{
	struct qhb_cgroup_limits l = { 0.5, 300u << 20, 64 };
	struct qhb_cgroup_scope s;
	char buf[512];

	CHECK(qhb_cgroup_scope_argv(&s, "vm1", &l, NULL) == 0);
	CHECKF(strcmp(joined(&s, buf, sizeof(buf)), "systemd-run --scope "
	    "--quiet --collect --unit qhb-vm-vm1 -p CPUQuota=50% "
	    "-p MemoryMax=314572800 -p TasksMax=64 --") == 0, "%s", buf);
	CHECK(s.argv[s.argc] == NULL);
}

static void test_scope_some(void)
{
	struct qhb_cgroup_limits l = { 1.5, 0, 0 };
	struct qhb_cgroup_scope s;
	char buf[512];

	CHECK(qhb_cgroup_scope_argv(&s, "a.b-c", &l, NULL) == 0);
	CHECKF(strcmp(joined(&s, buf, sizeof(buf)), "systemd-run --scope "
	    "--quiet --collect --unit qhb-vm-a.b-c -p CPUQuota=150% --") == 0,
	    "%s", buf);
	l = (struct qhb_cgroup_limits){ 0, 0, 7 };
	CHECK(qhb_cgroup_scope_argv(&s, "x", &l, NULL) == 0);
	CHECKF(strcmp(joined(&s, buf, sizeof(buf)), "systemd-run --scope "
	    "--quiet --collect --unit qhb-vm-x -p TasksMax=7 --") == 0, "%s",
	    buf);
	l = (struct qhb_cgroup_limits){ 0.25, 0, 0 };
	CHECK(qhb_cgroup_scope_argv(&s, "x", &l, NULL) == 0);
	CHECKF(strcmp(s.argv[7], "CPUQuota=25%") == 0, "%s", s.argv[7]);
}

static void test_scope_long_name(void)
{
	struct qhb_cgroup_limits l = { 1, 0, 0 };
	struct qhb_cgroup_scope s;
	struct qhb_err e = { 0 };
	char name[200];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	CHECK(qhb_cgroup_scope_argv(&s, name, &l, &e) < 0);
	CHECK(strstr(e.msg, "too long") != NULL);
}

static void test_limited(void)
{
	struct qhb_cgroup_limits none = { 0 }, mem = { 0, 1, 0 };

	CHECK(!qhb_cgroup_limited(NULL));
	CHECK(!qhb_cgroup_limited(&none));
	CHECK(qhb_cgroup_limited(&mem));
	CHECK(strcmp(qhb_cgroup_kind_name(QHB_CGROUP_V1), "v1") == 0);
	CHECK(strcmp(qhb_cgroup_kind_name(QHB_CGROUP_NONE), "none") == 0);
}

void unit_main(void)
{
	UNIT_RUN(test_scope_all);
	UNIT_RUN(test_scope_some);
	UNIT_RUN(test_scope_long_name);
	UNIT_RUN(test_limited);
}
