// SPDX-License-Identifier: GPL-2.0
/* The Unicorn back-end as the monitor's CPU (struct co_cpu_ops). */
#include <stdlib.h>

#include "uc_internal.h"

/*
 * CO_UC_INJECT="VEC@INSNS[,VEC@INSNS...]": host interrupts to inject while
 * the guest runs (co_uc_inject), for tests driving colinux-sim.
 */
static int inject_from_env(struct co_uc *u)
{
	const char *s = getenv("CO_UC_INJECT");

	while (s && *s) {
		const char *at = co_strchr(s, '@'), *end = co_strchr(s, ',');
		uint64_t vec, after;
		size_t len;

		if (!end)
			end = s + co_strlen(s);
		if (!at || at > end ||
		    co_parse_u64(s, at - s, 255, &vec) || vec < 32 ||
		    co_parse_u64(at + 1, end - at - 1, UINT64_MAX, &after) ||
		    co_uc_inject(u, (unsigned int)vec, after)) {
			len = end - s;
			co_err("unicorn: CO_UC_INJECT: bad entry \"%.*s\" (want VECTOR@INSTRUCTIONS, vector 32..255)",
			       (int)len, s);
			return -CO_EINVAL;
		}
		s = *end ? end + 1 : end;
	}
	return 0;
}

static int ops_attach(struct co_vm *vm, void **priv)
{
	struct co_passage_info pi;
	struct co_uc *u;
	const char *budget;
	uint64_t n;
	int err;

	err = co_passage_info(vm, &pi);
	if (!err)
		err = co_uc_create(&pi, &u);
	if (err)
		return err;
	budget = getenv("CO_UC_BUDGET");
	if (budget && !co_parse_u64(budget, co_strlen(budget), UINT64_MAX, &n))
		co_uc_set_budget(u, n);
	err = inject_from_env(u);
	if (err) {
		co_uc_destroy(u);
		return err;
	}
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

/*
 * The emulated host runs on fxsave (XCR0 untouched), requires no CR4 bit,
 * keeps the power-on PAT, and refuses to inject CO_UC_VIRQ_VECTOR.
 */
static void ops_host_info(struct co_cpu_host *h)
{
	h->valid = CO_BOOT_FEAT_HOST_XCR0 | CO_BOOT_FEAT_HOST_CR4 |
		   CO_BOOT_FEAT_HOST_PAT | CO_BOOT_FEAT_VIRQ_VECTOR;
	h->xcr0 = 0;
	h->cr4_required = 0;
	h->pat = CO_UC_HOST_PAT;
	h->virq_vector = CO_UC_VIRQ_VECTOR;
}

const struct co_cpu_ops co_unicorn_cpu_ops = {
	.name = "unicorn",
	/* Unicorn 2.0.1 runs identity-mapped guest RAM only. */
	.caps = CO_CPU_CONTIGUOUS_RAM,
	.host_info = ops_host_info,
	.attach = ops_attach,
	.enter = ops_enter,
	.host_irq = ops_host_irq,
	.detach = ops_detach,
};
