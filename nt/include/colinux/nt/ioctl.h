/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface between colinux.sys and colinux-daemon.exe: device name,
 * IOCTL codes and the request/reply structures. Both sides compile this
 * header (the driver against the DDK, the daemon against windows.h), so it
 * uses fixed-width types only and asserts its layout: a mismatch fails the
 * build instead of corrupting a request.
 *
 * Every IOCTL is METHOD_BUFFERED and needs read and write access to the
 * device (administrators only with the default device security). A VM
 * belongs to the handle that created it; other handles cannot reach it,
 * and closing the handle destroys it.
 */
#ifndef COLINUX_NT_IOCTL_H
#define COLINUX_NT_IOCTL_H

#include <stdint.h>
#include <colinux/abi/types.h>
#include <colinux/abi/boot.h>
#include <colinux/abi/devices.h>
#include <colinux/abi/passage.h>

/* Bumped whenever a structure below changes. */
#define CO_NT_IOCTL_VERSION	1

#define CO_NT_DEVICE_NAME	L"\\Device\\colinux"
#define CO_NT_LINK_NAME		L"\\DosDevices\\colinux"
#define CO_NT_USER_PATH		"\\\\.\\colinux"

/* CTL_CODE(0x8c01, fn, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA) */
#define CO_NT_DEVICE_TYPE	0x8c01u
#define CO_NT_CTL(fn)		((CO_NT_DEVICE_TYPE << 16) | (3u << 14) | \
				 ((uint32_t)(fn) << 2) | 0u)

#define CO_NT_IOC_INFO		CO_NT_CTL(0x801)	/* -> co_nt_info */
#define CO_NT_IOC_CREATE	CO_NT_CTL(0x802)	/* co_nt_create -> reply */
#define CO_NT_IOC_LOAD		CO_NT_CTL(0x803)	/* co_nt_load -> reply */
#define CO_NT_IOC_START		CO_NT_CTL(0x804)	/* -> reply */
#define CO_NT_IOC_RUN		CO_NT_CTL(0x805)	/* co_nt_run -> run_reply */
#define CO_NT_IOC_INPUT		CO_NT_CTL(0x806)	/* co_nt_input -> reply */
#define CO_NT_IOC_NET_SEND	CO_NT_CTL(0x807)	/* co_nt_frame -> reply */
#define CO_NT_IOC_NET_RECV	CO_NT_CTL(0x808)	/* -> co_nt_frame */
#define CO_NT_IOC_POWER		CO_NT_CTL(0x809)	/* co_nt_power -> reply */
#define CO_NT_IOC_DESTROY	CO_NT_CTL(0x80a)	/* -> reply */

#define CO_NT_TEXT		512
#define CO_NT_PATH_MAX		512	/* UTF-8 NT path, "\??\C:\..." */

/* The answer to every request that returns no data of its own. */
struct co_nt_reply {
	int32_t err;			/* 0 or a negative enum co_err */
	uint32_t state;			/* enum co_vm_state, or CO_NT_NO_VM */
	char text[CO_NT_TEXT];		/* what went wrong, NUL-terminated */
};
#define CO_NT_NO_VM		0xffffffffu
CO_ABI_SIZE(co_nt_reply, 8 + CO_NT_TEXT);

/* What the driver found at load time (docs/windows.md). */
struct co_nt_info {
	uint32_t ioctl_version;		/* CO_NT_IOCTL_VERSION */
	uint32_t abi_version;		/* CO_ABI_VERSION */
	uint32_t run_ok;		/* 1: the guest may get the CPU */
	uint32_t cpl;			/* privilege level the driver runs at */
	uint64_t cr4;			/* host CR4 at load (0: not read) */
	uint64_t efer;			/* host EFER at load (0: not read) */
	uint64_t page_source;		/* CO_NT_PAGES_* */
	int64_t pages_live;		/* pages handed out now, all VMs */
	int64_t heap_live;		/* heap blocks now, all handles */
	char why[CO_NT_TEXT];		/* run_ok == 0: the reason */
};
#define CO_NT_PAGES_MDL		1	/* MmAllocatePagesForMdlEx */
#define CO_NT_PAGES_POOL	2	/* non-paged pool (no MDL allocator) */
CO_ABI_OFFSET(co_nt_info, cr4, 16);
CO_ABI_OFFSET(co_nt_info, pages_live, 40);
CO_ABI_OFFSET(co_nt_info, why, 56);
CO_ABI_SIZE(co_nt_info, 56 + CO_NT_TEXT);

struct co_nt_cobd {
	uint32_t present;
	uint32_t readonly;
	char path[CO_NT_PATH_MAX];
};
CO_ABI_SIZE(co_nt_cobd, 8 + CO_NT_PATH_MAX);

#define CO_NT_MAX_FORWARDS	8
struct co_nt_forward {
	uint8_t udp;
	uint8_t pad;
	uint16_t host_port;
	uint16_t guest_port;
};
CO_ABI_SIZE(co_nt_forward, 6);

struct co_nt_eth {
	uint32_t kind;			/* enum co_net_kind */
	uint32_t mac_set;
	uint8_t mac[6];
	uint16_t nr_forwards;
	struct co_nt_forward forward[CO_NT_MAX_FORWARDS];
	char path[CO_NT_PATH_MAX];	/* pcap: NT path; loop: pair name */
};
CO_ABI_OFFSET(co_nt_eth, forward, 16);
CO_ABI_OFFSET(co_nt_eth, path, 64);
CO_ABI_SIZE(co_nt_eth, 64 + CO_NT_PATH_MAX);

/* The parsed configuration, as colinux-daemon.exe's parser produced it. */
struct co_nt_create {
	uint32_t ioctl_version;
	uint32_t mem_mb;
	uint32_t contiguous;
	uint16_t cocon_cols;
	uint16_t cocon_rows;
	uint32_t cmdline_len;		/* < CO_CMDLINE_SIZE */
	uint32_t pad;
	char cmdline[CO_CMDLINE_SIZE];
	struct co_nt_cobd cobd[CO_COBD_UNITS];
	struct co_nt_eth eth[CO_CONET_UNITS];
};
CO_ABI_OFFSET(co_nt_create, cmdline, 24);
CO_ABI_OFFSET(co_nt_create, cobd, 24 + CO_CMDLINE_SIZE);
CO_ABI_SIZE(co_nt_create, 24 + CO_CMDLINE_SIZE +
	    CO_COBD_UNITS * (8 + CO_NT_PATH_MAX) +
	    CO_CONET_UNITS * (64 + CO_NT_PATH_MAX));

/*
 * An image travels in chunks, in order: offset 0 names the total length
 * (the driver allocates it), every later chunk starts where the last one
 * ended, and the last one loads the image (the reply then carries the
 * loader's verdict). A chunk with another @what or @total_len, or out of
 * order, is refused and the partial image dropped.
 */
#define CO_NT_LOAD_KERNEL	1
#define CO_NT_LOAD_INITRD	2
#define CO_NT_LOAD_CHUNK_MAX	(1u << 20)
struct co_nt_load {
	uint32_t what;
	uint32_t chunk_len;
	uint64_t total_len;
	uint64_t offset;
	uint8_t data[];
};
CO_ABI_SIZE(co_nt_load, 24);

/*
 * RUN runs the guest on the calling thread until it stops, console output
 * or network frames wait for user space, or @timeout_ms passed (at most
 * CO_NT_RUN_TIMEOUT_MAX), then returns what it has.
 */
#define CO_NT_RUN_TIMEOUT_MAX	1000
#define CO_NT_CONSOLE_CHUNK	4096
struct co_nt_run {
	uint32_t timeout_ms;
	uint32_t pad;
};
CO_ABI_SIZE(co_nt_run, 8);

struct co_nt_run_reply {
	int32_t err;
	uint32_t state;
	uint32_t stopped;		/* 1: the exit fields are final */
	int32_t reason;			/* enum co_term_reason */
	int32_t code;
	uint32_t console_len;		/* bytes in console[] */
	uint32_t console_dropped;	/* output lost since the last RUN */
	uint32_t frames_pending;	/* NET_RECV has frames */
	char text[CO_TEXT_SIZE];
	uint8_t console[CO_NT_CONSOLE_CHUNK];
};
CO_ABI_OFFSET(co_nt_run_reply, text, 32);
CO_ABI_SIZE(co_nt_run_reply, 32 + CO_TEXT_SIZE + CO_NT_CONSOLE_CHUNK);

#define CO_NT_INPUT_MAX		1024
struct co_nt_input {
	uint32_t len;
	uint32_t pad;
	uint8_t bytes[];
};
CO_ABI_SIZE(co_nt_input, 8);

#define CO_NT_FRAME_MAX		2048
struct co_nt_frame {
	uint32_t unit;
	uint32_t len;
	uint8_t data[CO_NT_FRAME_MAX];
};
CO_ABI_SIZE(co_nt_frame, 8 + CO_NT_FRAME_MAX);

struct co_nt_power {
	uint32_t event;			/* CO_POWER_* */
	uint32_t pad;
};
CO_ABI_SIZE(co_nt_power, 8);

#endif
