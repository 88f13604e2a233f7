/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Re-raising a host interrupt that arrived while the guest had the CPU:
 * the guest's handler switched back and named the vector; the CPU
 * back-end calls the stub for that vector on the same CPU, with
 * interrupts still off, and the host's own handler runs as if the
 * hardware had delivered it. One "int $v; ret" per external vector
 * (32..255), 4 bytes apart. The table is one function for the unwinder:
 * no prologue, the return address on top of the stack.
 */
	.text
	.balign	16
	.globl	co_nt_int_table
	.def	co_nt_int_table; .scl 2; .type 32; .endef
	.seh_proc co_nt_int_table
co_nt_int_table:
	.seh_endprologue
	.irp	hi, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.irp	lo, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	int	$(\hi * 16 + \lo)
	ret
	.balign	4, 0xcc
	.endr
	.endr
	.seh_endproc
