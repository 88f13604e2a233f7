/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conet internals: the seam between the device (conet.c) and its portable
 * back-ends (conet_pcap.c, conet_loop.c). The host-provided slirp back-end
 * is wrapped in conet.c behind the same seam.
 *
 * A back-end is a port: it takes frames the guest sent and, if it has a
 * way back, hands frames for the guest to the rx callback it was given,
 * always from the receiving VM's own thread ([vm]).
 */
#ifndef CO_MONITOR_DEVICES_CONET_H
#define CO_MONITOR_DEVICES_CONET_H

#include <colinux/monitor.h>

struct co_device;
struct co_conet_port;

struct co_conet_port_ops {
	/*
	 * One complete frame from the guest (14..CO_CONET_MAX_FRAME bytes,
	 * already checked). 0 when handed on; negative when the frame was
	 * lost (write error, no peer): the device counts it. [vm]
	 */
	int (*send)(struct co_conet_port *p, const void *frame, size_t len);
	/* Deliver frames waiting for this side's rx callback. [vm] or NULL */
	void (*poll)(struct co_conet_port *p);
	/* True when poll has something to deliver. [any] or NULL */
	bool (*pending)(struct co_conet_port *p);
	void (*close)(struct co_conet_port *p);		/* [passive] */
};

struct co_conet_port {
	const struct co_conet_port_ops *ops;
};

/* A capture file: every frame sent lands in it; nothing comes back. */
int co_conet_pcap_open(const char *path, struct co_conet_port **out);

/* co_conet_loop_open, a loopback pair's end, is public (monitor.h). */

/* Counters beyond the public struct co_conet_stats. */
struct co_conet_xstats {
	uint64_t tx_lost;		/* back-end failed the frame */
	uint64_t rx_dropped_toobig;	/* guest buffer too small */
	uint64_t rx_dropped_bad;	/* from outside, runt or over max */
	uint64_t rx_backlog;		/* frames waiting for buffers now */
};
void co_conet_xstats(struct co_device *net, struct co_conet_xstats *st);

#endif
