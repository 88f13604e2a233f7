/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-device request formats. docs/protocol.md, section "Devices".
 */
#ifndef COLINUX_ABI_DEVICES_H
#define COLINUX_ABI_DEVICES_H

#include "types.h"

enum co_dev_class {
	CO_DEV_NONE	= 0,
	CO_DEV_COCON	= 1,
	CO_DEV_COBD	= 2,
	CO_DEV_CONET	= 3,
	CO_DEV_TIMER	= 4,
	CO_DEV_POWER	= 5,
};

#define CO_COBD_UNITS		32
#define CO_CONET_UNITS		16

/* Interrupt lines and queue numbers the monitor assigns. */
#define CO_IRQ_COCON		2
#define CO_IRQ_COBD(unit)	(8 + (unit))
#define CO_IRQ_CONET(unit)	(40 + (unit))
#define CO_QUEUE_COCON_OUT	0
#define CO_QUEUE_COCON_IN	1
#define CO_QUEUE_COBD(unit)	(8 + (unit))
#define CO_QUEUE_CONET_TX(unit)	(40 + 2 * (unit))
#define CO_QUEUE_CONET_RX(unit)	(41 + 2 * (unit))

/*
 * cobd: one queue per unit. desc.arg = first sector; the segments are the
 * data buffer, a multiple of the sector size in total.
 */
#define CO_COBD_SECTOR_SIZE	512
enum co_cobd_op {
	CO_COBD_READ	= 1,
	CO_COBD_WRITE	= 2,
	CO_COBD_FLUSH	= 3,	/* no segments; done when the data is on disk */
	CO_COBD_DISCARD	= 4,	/* arg = sector, arg2 = sectors, no segments */
	CO_COBD_INFO	= 5,	/* one segment >= sizeof(struct co_cobd_info) */
};

#define CO_COBD_F_READONLY	0x1
#define CO_COBD_F_DISCARD	0x2

struct co_cobd_info {
	uint64_t sectors;
	uint32_t sector_size;
	uint32_t flags;
};
CO_ABI_SIZE(co_cobd_info, 16);

/*
 * conet: queue TX takes frames (segments = one Ethernet frame, no FCS);
 * queue RX takes empty buffers the host fills, cpl.len = frame length.
 */
#define CO_CONET_MIN_FRAME	14
#define CO_CONET_MAX_FRAME	1518	/* with one VLAN tag */
enum co_conet_op {
	CO_CONET_TX	= 1,
	CO_CONET_RX	= 2,
};

/*
 * cocon: queue OUT takes text (a byte stream; the host screen model
 * understands \r \n \b \t and a small set of ANSI sequences); queue IN takes
 * buffers the host fills with keyboard bytes.
 */
enum co_cocon_op {
	CO_COCON_WRITE	= 1,
	CO_COCON_READ	= 2,
};

/* One entry of the boot parameters' device table. */
struct co_dev_info {
	uint16_t dev_class;	/* enum co_dev_class */
	uint16_t unit;
	uint16_t irq;
	uint8_t first_queue;
	uint8_t nr_queues;
	uint32_t flags;		/* cobd: CO_COBD_F_* */
	uint32_t reserved;
	union {
		struct { uint64_t sectors; } cobd;
		struct { uint8_t mac[6]; uint16_t mtu; } conet;
		struct { uint16_t cols, rows; } cocon;
		uint64_t raw[2];
	};
};
CO_ABI_SIZE(co_dev_info, 32);
CO_ABI_OFFSET(co_dev_info, first_queue, 6);
CO_ABI_OFFSET(co_dev_info, flags, 8);
CO_ABI_OFFSET(co_dev_info, cobd, 16);

#endif
