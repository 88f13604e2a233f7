// SPDX-License-Identifier: GPL-2.0
/*
 * ATA PIO on the two legacy IDE channels of QEMU's pc machine (up to four
 * drives), polled, LBA48. Good enough to put cobd images and captures in
 * files QEMU writes straight to the machine's disk.
 */
#include "bare.h"

#define ST_ERR		0x01
#define ST_DRQ		0x08
#define ST_DF		0x20
#define ST_BSY		0x80
#define CMD_READ_EXT	0x24
#define CMD_WRITE_EXT	0x34
#define CMD_FLUSH_EXT	0xea
#define CMD_IDENTIFY	0xec
#define MAX_PER_CMD	256
#define SPIN_LIMIT	50000000u

static const uint16_t io_base[2] = { 0x1f0, 0x170 };
static const uint16_t ctl_base[2] = { 0x3f6, 0x376 };
static uint64_t sectors[4];

static uint16_t port(unsigned int n, unsigned int reg)
{
	return io_base[n / 2] + reg;
}

static int wait_ready(unsigned int n, bool want_drq)
{
	unsigned int spins = 0;
	uint8_t st;

	do {
		st = inb(port(n, 7));
		if (++spins > SPIN_LIMIT)
			return -CO_ETIMEDOUT;
	} while (st & ST_BSY);
	if (st & (ST_ERR | ST_DF))
		return -CO_EIO;
	if (want_drq && !(st & ST_DRQ))
		return -CO_EIO;
	return 0;
}

static void pio_in(unsigned int n, void *buf)
{
	size_t words = ATA_SECTOR / 2;

	__asm__ volatile("rep insw" : "+D"(buf), "+c"(words)
			 : "d"(port(n, 0)) : "memory");
}

static void pio_out(unsigned int n, const void *buf)
{
	size_t words = ATA_SECTOR / 2;

	__asm__ volatile("rep outsw" : "+S"(buf), "+c"(words)
			 : "d"(port(n, 0)) : "memory");
}

static void select_drive(unsigned int n, uint8_t extra)
{
	outb(port(n, 6), (uint8_t)(0xe0 | ((n & 1) << 4) | extra));
	/* 400 ns: four reads of the alternate status. */
	for (int i = 0; i < 4; i++)
		inb(ctl_base[n / 2]);
}

static void identify(unsigned int n)
{
	uint16_t id[256];

	select_drive(n, 0);
	outb(port(n, 2), 0);
	outb(port(n, 3), 0);
	outb(port(n, 4), 0);
	outb(port(n, 5), 0);
	outb(port(n, 7), CMD_IDENTIFY);
	if (inb(port(n, 7)) == 0 || inb(port(n, 7)) == 0xff)
		return;		/* no drive */
	if (inb(port(n, 4)) || inb(port(n, 5)))
		return;		/* ATAPI or SATA signature: not a disk */
	if (wait_ready(n, true))
		return;
	pio_in(n, id);
	if (id[83] & (1 << 10))
		sectors[n] = id[100] | ((uint64_t)id[101] << 16) |
			     ((uint64_t)id[102] << 32) | ((uint64_t)id[103] << 48);
	else
		sectors[n] = id[60] | ((uint64_t)id[61] << 16);
}

void ata_init(void)
{
	unsigned int n;

	outb(ctl_base[0], 0x02);	/* nIEN: we poll */
	outb(ctl_base[1], 0x02);
	for (n = 0; n < 4; n++) {
		identify(n);
		if (sectors[n])
			bare_printf("colinux-bare: ide%u: %llu sectors\n", n,
				    (unsigned long long)sectors[n]);
	}
}

uint64_t ata_sectors(unsigned int n)
{
	return n < 4 ? sectors[n] : 0;
}

static void command(unsigned int n, uint64_t lba, unsigned int count,
		    uint8_t cmd)
{
	select_drive(n, 0);
	/* High bytes first, then low: LBA48 register pairs. */
	outb(port(n, 2), (uint8_t)(count >> 8));
	outb(port(n, 3), (uint8_t)(lba >> 24));
	outb(port(n, 4), (uint8_t)(lba >> 32));
	outb(port(n, 5), (uint8_t)(lba >> 40));
	outb(port(n, 2), (uint8_t)count);
	outb(port(n, 3), (uint8_t)lba);
	outb(port(n, 4), (uint8_t)(lba >> 8));
	outb(port(n, 5), (uint8_t)(lba >> 16));
	outb(port(n, 7), cmd);
}

static int transfer(unsigned int n, uint64_t lba, unsigned int count,
		    void *buf, bool write)
{
	uint8_t *p = buf;
	int err;

	if (n >= 4 || !sectors[n] || lba + count > sectors[n] || lba + count < lba)
		return -CO_EINVAL;
	while (count) {
		unsigned int chunk = MIN(count, MAX_PER_CMD), i;

		err = wait_ready(n, false);
		if (err)
			return err;
		command(n, lba, chunk == MAX_PER_CMD ? 0 : chunk,
			write ? CMD_WRITE_EXT : CMD_READ_EXT);
		for (i = 0; i < chunk; i++, p += ATA_SECTOR) {
			err = wait_ready(n, true);
			if (err)
				return err;
			if (write)
				pio_out(n, p);
			else
				pio_in(n, p);
		}
		err = wait_ready(n, false);
		if (err)
			return err;
		lba += chunk;
		count -= chunk;
	}
	return 0;
}

int ata_read(unsigned int n, uint64_t lba, unsigned int count, void *buf)
{
	return transfer(n, lba, count, buf, false);
}

int ata_write(unsigned int n, uint64_t lba, unsigned int count,
	      const void *buf)
{
	return transfer(n, lba, count, (void *)buf, true);
}

int ata_flush(unsigned int n)
{
	int err = wait_ready(n, false);

	if (err)
		return err;
	select_drive(n, 0);
	outb(port(n, 7), CMD_FLUSH_EXT);
	return wait_ready(n, false);
}
