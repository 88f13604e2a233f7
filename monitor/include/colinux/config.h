/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VM configuration in the original coLinux's format:
 *
 *   kernel=PATH initrd=PATH mem=MB cobdN=PATH[,ro]
 *   ethN=slirp[,MAC[,tcp:HOSTPORT:GUESTPORT[,...]]]
 *   ethN=pcap,FILE[,MAC]   ethN=loop,NAME[,MAC]
 *   cocon=COLSxROWS  memwindow=contiguous|paged
 *   @FILE (more of the same, one or more per line, '#' comments)
 *
 * Anything else is appended to the guest command line. Shared by
 * colinux-sim and colinux-daemon.exe; portable (the @FILE reading goes
 * through the host file primitives).
 */
#ifndef COLINUX_CONFIG_H
#define COLINUX_CONFIG_H

#include "host.h"
#include "abi/boot.h"
#include "abi/devices.h"

#define CO_MEM_MIN_MB		16
#define CO_MEM_MAX_MB		4096
#define CO_MEM_DEFAULT_MB	64
#define CO_CONET_MAX_FORWARDS	8
#define CO_COCON_MIN_COLS	16
#define CO_COCON_MAX_COLS	512
#define CO_COCON_MIN_ROWS	2
#define CO_COCON_MAX_ROWS	500

struct co_cobd_config {
	bool present;
	bool readonly;
	char *path;
};

enum co_net_kind {
	CO_NET_NONE = 0,
	CO_NET_SLIRP,
	CO_NET_PCAP,
	CO_NET_LOOP,
};

struct co_conet_config {
	enum co_net_kind kind;
	bool mac_set;
	uint8_t mac[6];
	char *path;		/* pcap: capture file; loop: pair name */
	unsigned int nr_forwards;
	struct {
		bool udp;
		uint16_t host_port;
		uint16_t guest_port;
	} forward[CO_CONET_MAX_FORWARDS];
};

/*
 * boot=: which boot protocol the kernel speaks. auto: Linux's 64-bit boot
 * protocol (a zero page in rsi) for an ELF with a "Linux" note, which
 * every Linux vmlinux carries (the build-salt note of init/version.c);
 * the coLinux protocol (struct co_boot_params in rsi) otherwise.
 */
enum co_boot_protocol {
	CO_BOOT_AUTO,
	CO_BOOT_COLINUX,
	CO_BOOT_LINUX,
};

struct co_config {
	char *kernel;
	char *initrd;
	uint64_t mem_bytes;
	bool contiguous;
	enum co_boot_protocol boot;
	struct co_cobd_config cobd[CO_COBD_UNITS];
	struct co_conet_config eth[CO_CONET_UNITS];
	uint16_t cocon_cols;
	uint16_t cocon_rows;
	char cmdline[CO_CMDLINE_SIZE];
	size_t cmdline_len;
	/*
	 * Scalar keys given so far (CO_CONFIG_SEEN_*): a second mem= is an
	 * error, not an override; a front end may supply its own default for
	 * a key the user did not give.
	 */
	unsigned int seen_keys;
};

#define CO_CONFIG_SEEN_MEM		0x1
#define CO_CONFIG_SEEN_MEMWINDOW	0x2
#define CO_CONFIG_SEEN_COCON		0x4
#define CO_CONFIG_SEEN_BOOT		0x8

/* Defaults: 64 MiB, 80x25, paged RAM, no devices. */
void co_config_init(struct co_config *c);

/*
 * Parse one "key=value" (or plain command-line word, or @FILE) into @c.
 * On error returns a negative co_err and writes a message naming the key
 * and the value into @err.
 */
int co_config_parse_arg(struct co_config *c, const char *arg, char *err,
			size_t errlen);
int co_config_parse_args(struct co_config *c, int argc, char *const *argv,
			 char *err, size_t errlen);
/* Check the whole: kernel present, no conflicting units. */
int co_config_validate(const struct co_config *c, char *err, size_t errlen);
void co_config_free(struct co_config *c);

/* The MAC a unit gets when none is configured: stable per unit. */
void co_config_default_mac(unsigned int unit, uint8_t mac[6]);

#endif
