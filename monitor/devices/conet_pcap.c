// SPDX-License-Identifier: GPL-2.0
/*
 * conet back-end that captures every frame the guest sends into a file in
 * the classic libpcap format (LINKTYPE_ETHERNET, microsecond timestamps),
 * readable by tcpdump and Wireshark. Nothing ever comes back.
 *
 * A failed or short write leaves the end-of-file offset where it was, so
 * the next record overwrites the partial one and the capture stays
 * parseable. The first failure is logged; every failure is counted by the
 * device (send returns the error).
 */
#include <colinux/lib.h>
#include <colinux/abi/devices.h>
#include "conet.h"

#define PCAP_MAGIC_USEC		0xa1b2c3d4u
#define PCAP_VERSION_MAJOR	2
#define PCAP_VERSION_MINOR	4
#define PCAP_SNAPLEN		65535
#define PCAP_LINKTYPE_ETHERNET	1
#define PCAP_FILE_HDR		24
#define PCAP_REC_HDR		16

struct pcap_port {
	struct co_conet_port port;
	struct co_host_file *file;
	uint64_t off;			/* end of the last whole record */
	bool warned;
	uint8_t rec[PCAP_REC_HDR + CO_CONET_MAX_FRAME];
};

/* pcap fields are in the writer's byte order; we pick little-endian. */
static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

/* Write all of @len at @off, or fail. */
static int pcap_put(struct pcap_port *pc, const void *buf, size_t len)
{
	long n = co_host_file_pwrite(pc->file, buf, len, pc->off);

	if (n < 0)
		return (int)n;
	if ((size_t)n != len)
		return -CO_EIO;
	pc->off += len;
	return 0;
}

static int pcap_send(struct co_conet_port *p, const void *frame, size_t len)
{
	struct pcap_port *pc = (struct pcap_port *)p;
	uint64_t now = co_host_wallclock_ns();
	int err;

	if (len > CO_CONET_MAX_FRAME)
		return -CO_ERANGE;
	put_le32(pc->rec, (uint32_t)(now / 1000000000u));
	put_le32(pc->rec + 4, (uint32_t)(now % 1000000000u / 1000u));
	put_le32(pc->rec + 8, (uint32_t)len);
	put_le32(pc->rec + 12, (uint32_t)len);
	co_memcpy(pc->rec + PCAP_REC_HDR, frame, len);
	err = pcap_put(pc, pc->rec, PCAP_REC_HDR + len);
	if (err && !pc->warned) {
		pc->warned = true;
		co_warn("conet pcap: write failed at offset %llu: %s; "
			"frames are being lost", (unsigned long long)pc->off,
			co_strerror(err));
	}
	return err;
}

static void pcap_close(struct co_conet_port *p)
{
	struct pcap_port *pc = (struct pcap_port *)p;

	co_host_file_close(pc->file);
	co_host_free(pc);
}

static const struct co_conet_port_ops pcap_ops = {
	.send	= pcap_send,
	.close	= pcap_close,
};

int co_conet_pcap_open(const char *path, struct co_conet_port **out)
{
	uint8_t hdr[PCAP_FILE_HDR];
	struct pcap_port *pc;
	int err;

	pc = co_host_zalloc(sizeof(*pc));
	if (!pc)
		return -CO_ENOMEM;
	pc->port.ops = &pcap_ops;
	err = co_host_file_open(path, CO_FILE_WRITE | CO_FILE_CREATE |
				CO_FILE_TRUNC, &pc->file);
	if (err)
		goto fail_free;
	put_le32(hdr, PCAP_MAGIC_USEC);
	put_le16(hdr + 4, PCAP_VERSION_MAJOR);
	put_le16(hdr + 6, PCAP_VERSION_MINOR);
	put_le32(hdr + 8, 0);			/* thiszone: UTC */
	put_le32(hdr + 12, 0);			/* sigfigs */
	put_le32(hdr + 16, PCAP_SNAPLEN);
	put_le32(hdr + 20, PCAP_LINKTYPE_ETHERNET);
	/* Without its header no reader accepts the file: fail early. */
	err = pcap_put(pc, hdr, sizeof(hdr));
	if (err)
		goto fail_close;
	*out = &pc->port;
	return 0;
fail_close:
	co_host_file_close(pc->file);
fail_free:
	co_err("conet pcap: cannot create %s: %s", path, co_strerror(err));
	co_host_free(pc);
	return err;
}
