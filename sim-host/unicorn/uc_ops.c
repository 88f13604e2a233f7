// SPDX-License-Identifier: GPL-2.0
/* The Unicorn back-end as the monitor's CPU (struct co_cpu_ops). */
#include <stdlib.h>

#include "uc_internal.h"
#include "../../monitor/vm.h"

static int ops_attach(struct co_vm *vm, void **priv)
{
	struct co_passage_info pi;
	struct co_uc *u;
	const char *budget;
	uint64_t n;
	int err;

	if (!vm->ram.contiguous) {
		co_err("unicorn: guest RAM must be one window (memwindow=contiguous): Unicorn 2.0.1 runs identity-mapped RAM only");
		return -CO_ENOTSUP;
	}
	err = co_passage_info(vm, &pi);
	if (!err)
		err = co_uc_create(&pi, &u);
	if (err)
		return err;
	budget = getenv("CO_UC_BUDGET");
	if (budget && !co_parse_u64(budget, co_strlen(budget), UINT64_MAX, &n))
		co_uc_set_budget(u, n);
	*priv = u;
	return 0;
}

static int ops_enter(void *priv, struct co_vm_exit *exit)
{
	return co_uc_enter(priv, exit);
}

static void ops_host_irq(void *priv, unsigned int vector)
{
	co_uc_host_irq(priv, vector);
}

static void ops_detach(void *priv)
{
	co_uc_destroy(priv);
}

const struct co_cpu_ops co_unicorn_cpu_ops = {
	.name = "unicorn",
	.attach = ops_attach,
	.enter = ops_enter,
	.host_irq = ops_host_irq,
	.detach = ops_detach,
};
