// SPDX-License-Identifier: GPL-2.0
/* PCI configuration space through ports 0xcf8/0xcfc (mechanism #1). */
#include "bare.h"

#define PCI_ADDR	0xcf8
#define PCI_DATA	0xcfc

static uint32_t address(unsigned int bus, unsigned int dev, unsigned int fn,
			unsigned int off)
{
	return 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | (off & 0xfc);
}

uint32_t pci_read(unsigned int bus, unsigned int dev, unsigned int fn,
		  unsigned int off)
{
	outl(PCI_ADDR, address(bus, dev, fn, off));
	return inl(PCI_DATA);
}

void pci_write(unsigned int bus, unsigned int dev, unsigned int fn,
	       unsigned int off, uint32_t v)
{
	outl(PCI_ADDR, address(bus, dev, fn, off));
	outl(PCI_DATA, v);
}

bool pci_find(uint16_t vendor, uint16_t device, unsigned int nth,
	      unsigned int *bus, unsigned int *dev, unsigned int *fn)
{
	unsigned int b, d, f;

	/* QEMU's pc machine: everything on bus 0. */
	for (b = 0; b < 1; b++) {
		for (d = 0; d < 32; d++) {
			for (f = 0; f < 8; f++) {
				uint32_t id = pci_read(b, d, f, 0);

				if ((id & 0xffff) == 0xffff) {
					if (!f)
						break;
					continue;
				}
				if ((id & 0xffff) == vendor && (id >> 16) == device &&
				    !nth--) {
					*bus = b;
					*dev = d;
					*fn = f;
					return true;
				}
			}
		}
	}
	return false;
}
