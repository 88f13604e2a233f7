// SPDX-License-Identifier: GPL-2.0
/*
 * result_api: the result API checked from inside. The host compares the
 * lines word for word (tests/e2e/test_programs.py), so a prefix that does
 * not nest, unwind or truncate as result.c says shows there. With
 * leak=N|all the program keeps memory, with unbalanced=push|pop it leaves
 * the prefix stack unbalanced: it must then fail with the result API's
 * own messages, which is how a real program's slip would be caught.
 */
#include "tg.h"

static void nesting(void)
{
	tg_pass("no prefix");
	tg_prefix_push("unit %u", 3);
	tg_pass("one level");
	tg_prefix_push("round %u of %s", 7, "12");
	tg_check(true, "two levels");
	tg_prefix_pop();
	tg_pass("back to one");
	tg_prefix_pop();
	tg_pass("none again");
}

/* Deeper than TG_PREFIX_DEPTH: the extra levels add nothing, pops pair. */
static void too_deep(void)
{
	unsigned int i;

	for (i = 0; i < TG_PREFIX_DEPTH + 2; i++)
		tg_prefix_push("L%u", i);
	tg_pass("deepest");
	for (i = 0; i < TG_PREFIX_DEPTH + 2; i++)
		tg_prefix_pop();
	tg_pass("unwound");
}

/* Longer than the buffer: cut, without ": ", and nothing after it fits. */
static void too_long(void)
{
	tg_prefix_push("%0200u", 0);
	tg_prefix_push("inner");
	tg_pass("cut");
	tg_prefix_pop();
	tg_prefix_pop();
	tg_pass("whole again");
}

/* leak=N keeps N pages, leak=all every page there is. */
static void leak(void)
{
	char how[16] = "";
	uint64_t pages;

	if (!tg_arg("leak", how, sizeof(how)))
		return;
	if (!strcmp(how, "all")) {
		while (tg_page_alloc(64))
			;
		while (tg_page_alloc(1))
			;
		return;
	}
	pages = tg_arg_u64("leak", 0);
	if (pages && !tg_page_alloc((unsigned int)pages))
		tg_fail("leak=%llu: no memory to leak", (unsigned long long)pages);
}

void tg_test_result_api(void)
{
	char how[8] = "";

	nesting();
	too_deep();
	too_long();
	leak();
	tg_arg("unbalanced", how, sizeof(how));
	if (!strcmp(how, "push"))
		tg_prefix_push("left behind");
	else if (!strcmp(how, "pop"))
		tg_prefix_pop();
}
