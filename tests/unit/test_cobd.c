// SPDX-License-Identifier: GPL-2.0
/*
 * cobd, the block device, driven like a guest drives it: requests built in
 * guest RAM with co_gring, a doorbell, the device's process(). Results are
 * checked in the image files themselves (read back with stdio) and in
 * guest memory, against an in-memory model of every image.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "co_test.h"
#include "co_gring.h"
#include "internal/device.h"
#include "internal/vm.h"
#include <sim/sim.h>

#define SECT		CO_COBD_SECTOR_SIZE
#define MEM_MB		64	/* keep in step with "mem=64" below */
#define RING_OFF	0x10000ULL		/* one page per unit */
#define DATA_OFF	(1ULL << 20)		/* 1 MiB per unit */
#define SLOT_BYTES	0x8000ULL		/* per outstanding request */
#define TABLE_OFF	(40ULL << 20)		/* 32 pages per unit */

struct unit {
	struct co_device *dev;
	struct co_queue *q;
	struct co_gring ring;
	uint64_t sectors;
	bool ro;
	uint8_t *model;			/* what the image must contain */
};

struct cfx {
	struct co_test_guest *g;
	struct co_vm *vm;
	uint64_t base;
	char path[CO_COBD_UNITS][256];
	struct unit u[CO_COBD_UNITS];
};

/* ---- files ---------------------------------------------------------- */

static uint8_t *file_load(const char *path, uint64_t *size)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	buf = malloc(n + 1);
	assert_non_null(buf);
	rewind(fp);
	assert_int_equal(fread(buf, 1, n, fp), (size_t)n);
	fclose(fp);
	*size = n;
	return buf;
}

static void file_expect(const char *path, const uint8_t *model, uint64_t size)
{
	uint64_t n;
	uint8_t *buf = file_load(path, &n);

	assert_int_equal(n, size);
	assert_memory_equal(buf, model, size);
	free(buf);
}

/*
 * The access mode (O_RDONLY...) this process has @path open with, from
 * /proc; -1 if it is not open.
 */
static int open_mode(const char *path)
{
	char link[64], target[512], info[64], line[128];
	int fd, mode = -1;

	for (fd = 0; fd < 1024 && mode < 0; fd++) {
		FILE *fp;
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path))
			continue;
		snprintf(info, sizeof(info), "/proc/self/fdinfo/%d", fd);
		fp = fopen(info, "r");
		assert_non_null(fp);
		while (fgets(line, sizeof(line), fp)) {
			unsigned int flags;

			if (sscanf(line, "flags: %o", &flags) == 1)
				mode = flags & O_ACCMODE;
		}
		fclose(fp);
	}
	return mode;
}

/* ---- fixture ------------------------------------------------------- */

/*
 * A VM with images for the units in @sizes (0: absent), read-only where
 * @ro says so; every image starts with seeded random bytes.
 */
static void cfx_open(struct cfx *f, const uint64_t *sizes, const bool *ro,
		     bool contiguous)
{
	const char *args[CO_COBD_UNITS + 4];
	char arg[CO_COBD_UNITS][300];
	unsigned int i, n = 0;
	uint64_t sz;

	memset(f, 0, sizeof(*f));
	co_sim_reset();
	args[n++] = "mem=64";
	args[n++] = contiguous ? "memwindow=contiguous" : "memwindow=paged";
	for (i = 0; i < CO_COBD_UNITS; i++) {
		char name[32];

		if (!sizes[i])
			continue;
		snprintf(name, sizeof(name), "cobd%u.img", i);
		co_test_tmp_path(f->path[i], sizeof(f->path[i]), name);
		co_test_make_file(f->path[i], sizes[i], 1000 + i);
		snprintf(arg[i], sizeof(arg[i]), "cobd%u=%s%s", i, f->path[i],
			 ro && ro[i] ? ",ro" : "");
		args[n++] = arg[i];
	}
	args[n] = NULL;
	assert_int_equal(co_test_create(args, NULL, NULL, &f->g), 0);
	f->vm = f->g->vm;
	f->base = co_vm_ram_base(f->vm);
	for (i = 0; i < CO_COBD_UNITS; i++) {
		struct unit *u = &f->u[i];

		if (!sizes[i])
			continue;
		u->dev = co_vm_device(f->vm, CO_DEV_COBD, i);
		assert_non_null(u->dev);
		u->q = &u->dev->queue[0];
		u->sectors = sizes[i] / SECT;
		u->ro = ro && ro[i];
		u->model = file_load(f->path[i], &sz);
		assert_int_equal(sz, sizes[i]);
	}
}

static void cfx_close(struct cfx *f)
{
	unsigned int i;

	co_test_destroy(f->g);
	for (i = 0; i < CO_COBD_UNITS; i++) {
		if (f->path[i][0])
			unlink(f->path[i]);
		free(f->u[i].model);
	}
	assert_int_equal(co_sim_leak_check(), 0);
}

static uint64_t ring_gpa(struct cfx *f, unsigned int unit)
{
	return f->base + RING_OFF + unit * 0x1000ULL;
}

static uint64_t data_gpa(struct cfx *f, unsigned int unit, unsigned int slot)
{
	return f->base + DATA_OFF * (1 + unit) + slot * SLOT_BYTES;
}

static uint64_t table_gpa(struct cfx *f, unsigned int unit, unsigned int slot)
{
	return f->base + TABLE_OFF + (unit * 32ULL + slot) * 0x1000;
}

static void unit_ring(struct cfx *f, unsigned int unit, unsigned int log2)
{
	struct unit *u = &f->u[unit];
	uint64_t gpa = ring_gpa(f, unit);

	assert_true(co_gring_bytes(log2) <= 4096);
	assert_int_equal(co_gring_init(&u->ring, co_test_gpa_ptr(f->g, gpa),
				       gpa, log2), 0);
	assert_int_equal(co_queue_setup(u->q, gpa, log2), 0);
}

/* Doorbell: what the run loop does for a rung queue. */
static int kick(struct cfx *f, unsigned int unit)
{
	struct unit *u = &f->u[unit];

	co_gring_publish(&u->ring);
	return u->dev->ops->process(u->dev, u->q);
}

/* One request, synchronously. */
static struct co_cpl submit(struct cfx *f, unsigned int unit,
			    const struct co_desc *d)
{
	struct unit *u = &f->u[unit];
	struct co_cpl c;

	assert_int_equal(co_gring_push(&u->ring, d), 0);
	assert_int_equal(kick(f, unit), 0);
	assert_int_equal(co_gring_reap(&u->ring, &c), 1);
	assert_int_equal(c.id, d->id);
	assert_int_equal(co_gring_reap(&u->ring, &c), 0);
	return c;
}

static struct co_cpl rw1(struct cfx *f, unsigned int unit, uint16_t op,
			 uint64_t sector, uint64_t gpa, uint32_t len)
{
	struct co_desc d;

	co_gring_desc_init(&d, 0x1234, op, sector);
	if (len)
		co_gring_desc_add_seg(&d, gpa, len);
	return submit(f, unit, &d);
}

static void fill_random(uint8_t *p, size_t n, uint64_t *rs)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)co_test_rand(rs);
}

/* ---- creation -------------------------------------------------------- */

static void test_create_info(void **state)
{
	uint64_t sizes[CO_COBD_UNITS] = { 0 };
	bool ro[CO_COBD_UNITS] = { 0 };
	static const unsigned int units[] = { 0, 5, 31 };
	struct cfx f;
	unsigned int i;

	sizes[0] = 512;
	sizes[5] = 1 << 20;
	sizes[31] = 3 * 512;
	ro[31] = true;
	cfx_open(&f, sizes, ro, false);
	for (i = 0; i < 3; i++) {
		unsigned int n = units[i];
		struct co_device *dev = f.u[n].dev;

		assert_int_equal(dev->info.dev_class, CO_DEV_COBD);
		assert_int_equal(dev->info.unit, n);
		assert_int_equal(dev->info.irq, CO_IRQ_COBD(n));
		assert_int_equal(dev->info.first_queue, CO_QUEUE_COBD(n));
		assert_int_equal(dev->info.nr_queues, 1);
		assert_int_equal(dev->info.cobd.sectors, sizes[n] / SECT);
		assert_int_equal(dev->info.flags,
				 ro[n] ? CO_COBD_F_READONLY : CO_COBD_F_DISCARD);
		assert_string_equal(dev->ops->name, "cobd");
		assert_ptr_equal(co_vm_queue(f.vm, CO_QUEUE_COBD(n)),
				 &dev->queue[0]);
		assert_ptr_equal(dev->queue[0].dev, dev);
		assert_false(dev->queue[0].ready);
	}
	assert_null(co_vm_device(f.vm, CO_DEV_COBD, 1));
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), 3);
	/* Not set up: a doorbell does nothing. */
	assert_int_equal(f.u[5].dev->ops->process(f.u[5].dev, f.u[5].q), 0);
	cfx_close(&f);
}

static void test_create_bad_images(void **state)
{
	static const uint64_t bad[] = { 0, 1, 511, 513, 1000, 4097 };
	struct co_test_guest *g;
	char path[256], arg[300], log[4096], num[32];
	const char *args[] = { "mem=16", arg, NULL };
	unsigned int i;

	co_test_tmp_path(path, sizeof(path), "bad.img");
	snprintf(arg, sizeof(arg), "cobd7=%s", path);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		co_sim_reset();
		co_sim_log_capture(log, sizeof(log));
		co_test_make_file(path, bad[i], 7);
		assert_int_equal(co_test_create(args, NULL, NULL, &g), -CO_EINVAL);
		snprintf(num, sizeof(num), "size %llu ", (unsigned long long)bad[i]);
		assert_true(co_sim_log_contains(path));
		assert_true(co_sim_log_contains(num));
		assert_true(co_sim_log_contains("cobd7"));
		co_sim_log_capture(NULL, 0);
		assert_int_equal(co_sim_leak_check(), 0);
	}
	/* A missing image is named too. */
	unlink(path);
	co_sim_reset();
	co_sim_log_capture(log, sizeof(log));
	assert_true(co_test_create(args, NULL, NULL, &g) < 0);
	assert_true(co_sim_log_contains(path));
	co_sim_log_capture(NULL, 0);
	assert_int_equal(co_sim_leak_check(), 0);
}

/* Every allocation and file step of VM creation failing, one at a time. */
static void test_create_failures(void **state)
{
	struct co_test_guest *g;
	char path[256], arg[2][300];
	const char *args[] = { "mem=16", arg[0], arg[1], NULL };
	unsigned long n;
	unsigned int cls;
	static const enum co_sim_fault_class classes[] = {
		CO_SIM_FAULT_ANY_ALLOC, CO_SIM_FAULT_FILE_OPEN,
		CO_SIM_FAULT_FILE_SIZE,
	};

	co_test_tmp_path(path, sizeof(path), "ok.img");
	co_test_make_file(path, 64 * SECT, 3);
	snprintf(arg[0], sizeof(arg[0]), "cobd2=%s", path);
	snprintf(arg[1], sizeof(arg[1]), "cobd9=%s,ro", path);
	for (cls = 0; cls < sizeof(classes) / sizeof(classes[0]); cls++) {
		for (n = 1; n < 500; n++) {
			int err, old;

			co_sim_reset();
			old = co_sim_log_level(-1);
			co_sim_fault_fail_nth(classes[cls], n, 0);
			err = co_test_create(args, NULL, NULL, &g);
			co_sim_log_level(old);
			if (!co_sim_fault_injected(classes[cls])) {
				assert_int_equal(err, 0);
				co_test_destroy(g);
				assert_int_equal(co_sim_leak_check(), 0);
				break;
			}
			assert_true(err < 0);
			assert_int_equal(co_sim_leak_check(), 0);
		}
		assert_true(n > 1 && n < 500);
		print_message("class %u: %lu failure points\n", classes[cls], n - 1);
	}
	co_sim_reset();
	unlink(path);
}

/* The constructor on its own: arguments and each failure. */
static void test_create_direct(void **state)
{
	uint64_t sizes[CO_COBD_UNITS] = { [0] = 8 * SECT };
	struct co_cobd_config cfg = { .present = true };
	struct co_device *dev = (void *)1;
	struct cfx f;
	uint64_t heap, files;

	cfx_open(&f, sizes, NULL, false);
	cfg.path = f.path[0];
	heap = co_sim_heap_in_use();
	files = co_sim_in_use(CO_SIM_OBJ_FILES);
	assert_int_equal(co_cobd_create(f.vm, CO_COBD_UNITS, &cfg, &dev),
			 -CO_EINVAL);
	assert_null(dev);
	cfg.path = NULL;
	assert_int_equal(co_cobd_create(f.vm, 1, &cfg, &dev), -CO_EINVAL);
	cfg.path = f.path[0];

	co_sim_fault_fail_nth(CO_SIM_FAULT_HEAP_ALLOC, 1, 0);
	assert_int_equal(co_cobd_create(f.vm, 1, &cfg, &dev), -CO_ENOMEM);
	co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_OPEN, 1, CO_EACCES);
	assert_int_equal(co_cobd_create(f.vm, 1, &cfg, &dev), -CO_EACCES);
	co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_SIZE, 1, 0);
	assert_int_equal(co_cobd_create(f.vm, 1, &cfg, &dev), -CO_EIO);
	assert_null(dev);
	assert_int_equal(co_sim_heap_in_use(), heap);
	assert_int_equal(co_sim_in_use(CO_SIM_OBJ_FILES), files);

	/* And one that works, destroyed by hand (not registered). */
	co_sim_fault_reset();
	cfg.readonly = true;
	assert_int_equal(co_cobd_create(f.vm, 1, &cfg, &dev), 0);
	assert_int_equal(dev->info.flags, CO_COBD_F_READONLY);
	assert_int_equal(dev->info.cobd.sectors, 8);
	dev->ops->destroy(dev);
	assert_int_equal(co_sim_heap_in_use(), heap);
	cfx_close(&f);
}

/* ---- data path ----------------------------------------------------- */

static void test_write_then_read(void **state)
{
	uint64_t seed = co_test_seed("cobd write/read"), rs = seed;
	uint64_t sizes[CO_COBD_UNITS] = { [3] = 256 * SECT };
	uint8_t data[4 * SECT], back[4 * SECT];
	struct co_desc d;
	struct co_cpl c;
	struct cfx f;

	cfx_open(&f, sizes, NULL, false);
	unit_ring(&f, 3, 2);
	{
		char real[PATH_MAX];

		assert_non_null(realpath(f.path[3], real));
		assert_int_equal(open_mode(real), O_RDWR);
	}
	fill_random(data, sizeof(data), &rs);
	/* Two segments, the first crossing a page boundary. */
	assert_int_equal(co_vm_write_gpa(f.vm, data_gpa(&f, 3, 0) + 0xf00, data,
					 0x300), 0);
	assert_int_equal(co_vm_write_gpa(f.vm, data_gpa(&f, 3, 1) + 0x10,
					 data + 0x300, sizeof(data) - 0x300), 0);
	co_gring_desc_init(&d, 77, CO_COBD_WRITE, 100);
	co_gring_desc_add_seg(&d, data_gpa(&f, 3, 0) + 0xf00, 0x300);
	co_gring_desc_add_seg(&d, data_gpa(&f, 3, 1) + 0x10, sizeof(data) - 0x300);
	c = submit(&f, 3, &d);
	assert_int_equal(c.status, CO_ST_OK);
	assert_int_equal(c.len, sizeof(data));
	memcpy(f.u[3].model + 100 * SECT, data, sizeof(data));
	file_expect(f.path[3], f.u[3].model, sizes[3]);
	assert_true(f.vm->shared->irq_pending[0] & (1ULL << CO_IRQ_COBD(3)));

	/* Read back a window overlapping written and untouched sectors. */
	c = rw1(&f, 3, CO_COBD_READ, 98, data_gpa(&f, 3, 2) + 0x123,
		sizeof(back));
	assert_int_equal(c.status, CO_ST_OK);
	assert_int_equal(c.len, sizeof(back));
	assert_int_equal(co_vm_read_gpa(f.vm, data_gpa(&f, 3, 2) + 0x123, back,
					sizeof(back)), 0);
	assert_memory_equal(back, f.u[3].model + 98 * SECT, sizeof(back));
	/* The last sector of the disk is reachable. */
	c = rw1(&f, 3, CO_COBD_READ, 255, data_gpa(&f, 3, 2), SECT);
	assert_int_equal(c.status, CO_ST_OK);
	assert_int_equal(co_vm_read_gpa(f.vm, data_gpa(&f, 3, 2), back, SECT), 0);
	assert_memory_equal(back, f.u[3].model + 255 * SECT, SECT);
	assert_int_equal(f.u[3].q->completed, 3);
	cfx_close(&f);
}

/*
 * Scatter-gather through an indirect table: up to 256 segments of odd
 * sizes (only the total is a multiple of 512), crossing pages, in paged
 * RAM whose host pages are not contiguous.
 */
static void sg_roundtrip(bool contiguous)
{
	uint64_t seed = co_test_seed("cobd scatter-gather"), rs = seed;
	uint64_t sizes[CO_COBD_UNITS] = { [1] = 2048 * SECT };
	static uint8_t data[64 * SECT], back[64 * SECT];
	struct co_seg seg[CO_DESC_MAX_SEGS];
	unsigned int round;
	struct cfx f;

	cfx_open(&f, sizes, NULL, contiguous);
	unit_ring(&f, 1, 1);
	for (round = 0; round < 12; round++) {
		unsigned int nseg = round ? 1 + co_test_rand(&rs) % CO_DESC_MAX_SEGS
					  : CO_DESC_MAX_SEGS;
		uint64_t total = SECT * (1 + co_test_rand(&rs) % 64);
		uint64_t sector = co_test_rand(&rs) % (2048 - total / SECT + 1);
		uint64_t gpa = f.base + (20ULL << 20) + co_test_rand(&rs) % 4096;
		uint64_t left = total, o;
		unsigned int i;
		struct co_desc d;
		struct co_cpl c;

		if (nseg > total)
			nseg = total;
		for (i = 0; i < nseg; i++) {
			uint64_t len = i == nseg - 1 ? left :
				1 + co_test_rand(&rs) % (left - (nseg - 1 - i));

			/* Leave room for the segments still to come. */
			if (left - len < nseg - 1 - i)
				len = left - (nseg - 1 - i);
			seg[i] = (struct co_seg){ gpa, (uint32_t)len, 0 };
			gpa += len + co_test_rand(&rs) % 200;
			left -= len;
		}
		assert_int_equal(left, 0);
		assert_int_equal(co_vm_write_gpa(f.vm, table_gpa(&f, 1, 0), seg,
						 nseg * sizeof(seg[0])), 0);

		/* Write from the segments... */
		fill_random(data, total, &rs);
		for (i = 0, o = 0; i < nseg; i++) {
			assert_int_equal(co_vm_write_gpa(f.vm, seg[i].gpa, data + o,
							 seg[i].len), 0);
			o += seg[i].len;
		}
		co_gring_desc_init(&d, round, CO_COBD_WRITE, sector);
		co_gring_desc_indirect(&d, table_gpa(&f, 1, 0), nseg);
		c = submit(&f, 1, &d);
		assert_int_equal(c.status, CO_ST_OK);
		assert_int_equal(c.len, total);
		memcpy(f.u[1].model + sector * SECT, data, total);
		file_expect(f.path[1], f.u[1].model, sizes[1]);

		/* ...and read into them after scribbling over them. */
		for (i = 0; i < nseg; i++)
			assert_int_equal(co_ram_fill(&f.vm->ram, seg[i].gpa, 0xcc,
						     seg[i].len), 0);
		d.op = CO_COBD_READ;
		c = submit(&f, 1, &d);
		assert_int_equal(c.status, CO_ST_OK);
		for (i = 0, o = 0; i < nseg; i++) {
			assert_int_equal(co_vm_read_gpa(f.vm, seg[i].gpa, back + o,
							seg[i].len), 0);
			o += seg[i].len;
		}
		assert_memory_equal(back, data, total);
	}
	cfx_close(&f);
}

static void test_sg_paged(void **state)
{
	sg_roundtrip(false);
}

static void test_sg_contiguous(void **state)
{
	sg_roundtrip(true);
}

/* ---- random traffic on many units ------------------------------------ */

struct pending {
	uint16_t op;
	int32_t status;
	uint32_t len;
	uint64_t gpa[CO_DESC_MAX_SEGS];
	uint32_t seglen[CO_DESC_MAX_SEGS];
	unsigned int nseg;
	uint8_t *expect;	/* READ: the bytes the guest must get */
};

/* Build one random request for unit @n into slot @k, updating the model. */
static void random_req(struct cfx *f, unsigned int n, unsigned int k,
		       uint64_t *rs, struct pending *p, struct co_desc *d)
{
	struct unit *u = &f->u[n];
	unsigned int pick = co_test_rand(rs) % 100, i, nseg;
	uint64_t sectors = 1 + co_test_rand(rs) % 40, sector, total, left, gpa;
	struct co_seg seg[40];
	uint8_t *buf;

	if (sectors > u->sectors)
		sectors = u->sectors;
	sector = co_test_rand(rs) % (u->sectors - sectors + 1);
	free(p->expect);
	memset(p, 0, sizeof(*p));
	co_gring_desc_init(d, k, 0, sector);
	if (pick < 8) {
		d->op = CO_COBD_FLUSH;
		p->op = d->op;
		return;
	}
	if (pick < 16) {
		d->op = CO_COBD_DISCARD;
		d->arg2 = sectors;
		p->op = d->op;
		p->status = u->ro ? CO_ST_RDONLY : CO_ST_OK;
		if (!u->ro)
			memset(u->model + sector * SECT, 0, sectors * SECT);
		return;
	}
	if (pick < 22) {
		/* Past the end of the disk. */
		d->op = co_test_rand(rs) % 2 ? CO_COBD_READ : CO_COBD_DISCARD;
		d->arg = u->sectors - co_test_rand(rs) % sectors;
		d->arg2 = sectors + 1;
		p->op = d->op;
		p->status = d->op == CO_COBD_DISCARD && u->ro ? CO_ST_RDONLY
							       : CO_ST_RANGE;
		sectors++;
	} else {
		d->op = pick < 60 ? CO_COBD_READ : CO_COBD_WRITE;
		p->op = d->op;
		p->status = d->op == CO_COBD_WRITE && u->ro ? CO_ST_RDONLY
							     : CO_ST_OK;
	}
	if (d->op == CO_COBD_DISCARD)
		return;

	total = sectors * SECT;
	nseg = 1 + co_test_rand(rs) % 40;
	if (nseg > total)
		nseg = total;
	gpa = data_gpa(f, n, k) + co_test_rand(rs) % 4096;
	for (i = 0, left = total; i < nseg; i++) {
		uint64_t len = i == nseg - 1 ? left :
			1 + co_test_rand(rs) % (2 * total / nseg);

		if (len > left - (nseg - 1 - i))
			len = left - (nseg - 1 - i);
		seg[i] = (struct co_seg){ gpa, (uint32_t)len, 0 };
		p->gpa[i] = gpa;
		p->seglen[i] = len;
		gpa += len + co_test_rand(rs) % 64;
		left -= len;
	}
	assert_true(gpa <= data_gpa(f, n, k + 1));
	p->nseg = nseg;
	if (nseg <= CO_DESC_INLINE_SEGS) {
		for (i = 0; i < nseg; i++)
			co_gring_desc_add_seg(d, seg[i].gpa, seg[i].len);
	} else {
		assert_int_equal(co_vm_write_gpa(f->vm, table_gpa(f, n, k), seg,
						 nseg * sizeof(seg[0])), 0);
		co_gring_desc_indirect(d, table_gpa(f, n, k), nseg);
	}
	if (p->status != CO_ST_OK)
		return;
	p->len = total;

	buf = malloc(total);
	assert_non_null(buf);
	if (d->op == CO_COBD_WRITE) {
		uint64_t o = 0;

		fill_random(buf, total, rs);
		for (i = 0; i < nseg; i++) {
			assert_int_equal(co_vm_write_gpa(f->vm, seg[i].gpa,
							 buf + o, seg[i].len), 0);
			o += seg[i].len;
		}
		memcpy(u->model + sector * SECT, buf, total);
		free(buf);
	} else {
		/* Requests run in order: reads see earlier writes. */
		memcpy(buf, u->model + sector * SECT, total);
		p->expect = buf;
	}
}

static void check_done(struct cfx *f, struct pending *p, const struct co_cpl *c)
{
	unsigned int i;
	uint64_t o = 0;
	uint8_t *buf;

	if (c->status != p->status)
		fail_msg("op %u: status %d, expected %d", p->op, c->status,
			 p->status);
	assert_int_equal(c->len, p->len);
	if (!p->expect)
		return;
	buf = malloc(p->len);
	assert_non_null(buf);
	for (i = 0; i < p->nseg; i++) {
		assert_int_equal(co_vm_read_gpa(f->vm, p->gpa[i], buf + o,
						p->seglen[i]), 0);
		o += p->seglen[i];
	}
	assert_memory_equal(buf, p->expect, p->len);
	free(buf);
	free(p->expect);
	p->expect = NULL;
}

static void test_random_many_units(void **state)
{
	uint64_t seed = co_test_seed("cobd random"), rs = seed;
	uint64_t sizes[CO_COBD_UNITS];
	bool ro[CO_COBD_UNITS];
	struct pending *pend = calloc(32, sizeof(*pend));
	unsigned int i, round;
	unsigned long syncs = 0;
	struct cfx f;

	assert_non_null(pend);
	for (i = 0; i < CO_COBD_UNITS; i++) {
		sizes[i] = SECT * (1 + co_test_rand(&rs) % 2048);
		ro[i] = co_test_rand(&rs) % 5 == 0;
	}
	cfx_open(&f, sizes, ro, co_test_rand(&rs) % 2);
	for (i = 0; i < CO_COBD_UNITS; i++)
		unit_ring(&f, i, co_test_rand(&rs) % 6);

	for (round = 0; round < 400; round++) {
		unsigned int n = co_test_rand(&rs) % CO_COBD_UNITS, k, batch;
		struct unit *u = &f.u[n];
		struct co_cpl c;

		batch = co_test_rand(&rs) % (co_gring_free(&u->ring) + 1);
		for (k = 0; k < batch; k++) {
			struct co_desc d;

			random_req(&f, n, k, &rs, &pend[k], &d);
			if (d.op == CO_COBD_FLUSH && !u->ro)
				syncs++;
			assert_int_equal(co_gring_push(&u->ring, &d), 0);
		}
		assert_int_equal(kick(&f, n), 0);
		for (k = 0; k < batch; k++) {
			assert_int_equal(co_gring_reap(&u->ring, &c), 1);
			assert_int_equal(c.id, k);
			check_done(&f, &pend[k], &c);
		}
		assert_int_equal(co_gring_reap(&u->ring, &c), 0);
	}
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_SYNC), syncs);
	for (i = 0; i < CO_COBD_UNITS; i++)
		file_expect(f.path[i], f.u[i].model, sizes[i]);
	assert_false(f.vm->stopping);
	free(pend);
	cfx_close(&f);
}

/* ---- errors ---------------------------------------------------------- */

static void test_bad_requests(void **state)
{
	uint64_t sizes[CO_COBD_UNITS] = { [4] = 64 * SECT };
	uint64_t buf, end;
	struct co_desc d;
	struct cfx f;

	cfx_open(&f, sizes, NULL, false);
	unit_ring(&f, 4, 3);
	buf = data_gpa(&f, 4, 0);
	end = f.base + ((uint64_t)MEM_MB << 20);
	co_sim_fault_reset();

	/* Crossing or past the end of the disk; sector overflow. */
	assert_int_equal(rw1(&f, 4, CO_COBD_READ, 63, buf, 2 * SECT).status,
			 CO_ST_RANGE);
	assert_int_equal(rw1(&f, 4, CO_COBD_WRITE, 64, buf, SECT).status,
			 CO_ST_RANGE);
	assert_int_equal(rw1(&f, 4, CO_COBD_WRITE, UINT64_MAX, buf, SECT).status,
			 CO_ST_RANGE);
	assert_int_equal(rw1(&f, 4, CO_COBD_READ, UINT64_MAX / SECT + 1, buf,
			     SECT).status, CO_ST_RANGE);
	/* Sizes that are not whole sectors; nothing at all. */
	assert_int_equal(rw1(&f, 4, CO_COBD_WRITE, 0, buf, 511).status,
			 CO_ST_INVAL);
	assert_int_equal(rw1(&f, 4, CO_COBD_READ, 0, buf, 513).status,
			 CO_ST_INVAL);
	assert_int_equal(rw1(&f, 4, CO_COBD_READ, 0, 0, 0).status, CO_ST_INVAL);
	assert_int_equal(rw1(&f, 4, CO_COBD_WRITE, 0, 0, 0).status, CO_ST_INVAL);
	/* Buffers outside RAM or straddling its end: the queue refuses. */
	assert_int_equal(rw1(&f, 4, CO_COBD_READ, 0, end, SECT).status,
			 CO_ST_FAULT);
	assert_int_equal(rw1(&f, 4, CO_COBD_WRITE, 0, end - 256, SECT).status,
			 CO_ST_FAULT);
	assert_int_equal(rw1(&f, 4, CO_COBD_READ, 0, UINT64_MAX - 100, SECT).status,
			 CO_ST_FAULT);
	/* Too many segments; a zero-length one. */
	co_gring_desc_init(&d, 5, CO_COBD_READ, 0);
	co_gring_desc_indirect(&d, table_gpa(&f, 4, 0), CO_DESC_MAX_SEGS);
	d.nseg = CO_DESC_MAX_SEGS + 1;
	d.seg[0].len = d.nseg * 16;
	assert_int_equal(submit(&f, 4, &d).status, CO_ST_TOOBIG);
	co_gring_desc_init(&d, 6, CO_COBD_READ, 0);
	co_gring_desc_add_seg(&d, buf, SECT);
	co_gring_desc_add_seg(&d, buf + SECT, 0);
	assert_int_equal(submit(&f, 4, &d).status, CO_ST_INVAL);
	/* Unknown operations. */
	assert_int_equal(rw1(&f, 4, 0, 0, buf, SECT).status, CO_ST_NOTSUP);
	assert_int_equal(rw1(&f, 4, 6, 0, buf, SECT).status, CO_ST_NOTSUP);
	assert_int_equal(rw1(&f, 4, 0xffff, 0, 0, 0).status, CO_ST_NOTSUP);
	/* Flush and discard take no buffer; discard of nothing is invalid. */
	assert_int_equal(rw1(&f, 4, CO_COBD_FLUSH, 0, buf, SECT).status,
			 CO_ST_INVAL);
	co_gring_desc_init(&d, 7, CO_COBD_DISCARD, 3);
	assert_int_equal(submit(&f, 4, &d).status, CO_ST_INVAL);
	d.arg2 = 62;
	assert_int_equal(submit(&f, 4, &d).status, CO_ST_RANGE);
	d.arg = 1;
	d.arg2 = UINT64_MAX;
	assert_int_equal(submit(&f, 4, &d).status, CO_ST_RANGE);
	co_gring_desc_add_seg(&d, buf, SECT);
	d.arg2 = 1;
	assert_int_equal(submit(&f, 4, &d).status, CO_ST_INVAL);

	/* None of it touched the image or the host file. */
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_WRITE), 0);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_READ), 0);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_DISCARD), 0);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_SYNC), 0);
	file_expect(f.path[4], f.u[4].model, sizes[4]);
	assert_false(f.vm->stopping);
	cfx_close(&f);
}

static void test_readonly(void **state)
{
	uint64_t sizes[CO_COBD_UNITS] = { [6] = 32 * SECT };
	bool ro[CO_COBD_UNITS] = { [6] = true };
	uint8_t back[2 * SECT];
	struct co_desc d;
	struct co_cpl c;
	struct cfx f;

	cfx_open(&f, sizes, ro, false);
	unit_ring(&f, 6, 2);
	co_sim_fault_reset();
	/* The host file itself is not writable through us. */
	{
		char real[PATH_MAX];

		assert_non_null(realpath(f.path[6], real));
		assert_int_equal(open_mode(real), O_RDONLY);
	}
	assert_int_equal(co_ram_fill(&f.vm->ram, data_gpa(&f, 6, 0), 0x77,
				     2 * SECT), 0);
	assert_int_equal(rw1(&f, 6, CO_COBD_WRITE, 0, data_gpa(&f, 6, 0),
			     2 * SECT).status, CO_ST_RDONLY);
	co_gring_desc_init(&d, 1, CO_COBD_DISCARD, 0);
	d.arg2 = 32;
	assert_int_equal(submit(&f, 6, &d).status, CO_ST_RDONLY);
	/* A flush has nothing to do but succeeds. */
	assert_int_equal(rw1(&f, 6, CO_COBD_FLUSH, 0, 0, 0).status, CO_ST_OK);
	/* Reads work. */
	c = rw1(&f, 6, CO_COBD_READ, 30, data_gpa(&f, 6, 1), 2 * SECT);
	assert_int_equal(c.status, CO_ST_OK);
	assert_int_equal(co_vm_read_gpa(f.vm, data_gpa(&f, 6, 1), back,
					sizeof(back)), 0);
	assert_memory_equal(back, f.u[6].model + 30 * SECT, sizeof(back));
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_WRITE), 0);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_DISCARD), 0);
	file_expect(f.path[6], f.u[6].model, sizes[6]);
	cfx_close(&f);
}

static void test_io_errors(void **state)
{
	uint64_t seed = co_test_seed("cobd io errors"), rs = seed;
	uint64_t sizes[CO_COBD_UNITS] = { [2] = 128 * SECT };
	uint8_t data[16 * SECT], back[16 * SECT];
	uint64_t buf, size;
	struct co_cpl c;
	struct cfx f;

	cfx_open(&f, sizes, NULL, false);
	unit_ring(&f, 2, 2);
	buf = data_gpa(&f, 2, 0) + 0x800;

	/* Hard errors. */
	co_sim_fault_eio(CO_SIM_FAULT_FILE_READ, 1);
	c = rw1(&f, 2, CO_COBD_READ, 0, buf, 8 * SECT);
	assert_int_equal(c.status, CO_ST_IOERR);
	assert_int_equal(c.len, 0);
	co_sim_fault_eio(CO_SIM_FAULT_FILE_READ, 2);
	assert_int_equal(rw1(&f, 2, CO_COBD_READ, 0, buf, 8 * SECT).status,
			 CO_ST_IOERR);
	co_sim_fault_eio(CO_SIM_FAULT_FILE_WRITE, 2);
	assert_int_equal(rw1(&f, 2, CO_COBD_WRITE, 0, buf, 8 * SECT).status,
			 CO_ST_IOERR);
	/* What did reach the file before the failure is unknown: reload. */
	free(f.u[2].model);
	f.u[2].model = file_load(f.path[2], &size);
	assert_int_equal(size, sizes[2]);

	/* Short transfers are retried to the end. */
	fill_random(data, sizeof(data), &rs);
	assert_int_equal(co_vm_write_gpa(f.vm, buf, data, sizeof(data)), 0);
	co_sim_fault_reset();
	co_sim_fault_short(CO_SIM_FAULT_FILE_WRITE, 100, 1000);
	c = rw1(&f, 2, CO_COBD_WRITE, 7, buf, sizeof(data));
	assert_int_equal(c.status, CO_ST_OK);
	assert_int_equal(c.len, sizeof(data));
	assert_true(co_sim_fault_calls(CO_SIM_FAULT_FILE_WRITE) >=
		    sizeof(data) / 100);
	memcpy(f.u[2].model + 7 * SECT, data, sizeof(data));
	file_expect(f.path[2], f.u[2].model, sizes[2]);

	co_sim_fault_reset();
	co_sim_fault_short(CO_SIM_FAULT_FILE_READ, 77, 1000);
	assert_int_equal(co_ram_fill(&f.vm->ram, buf, 0, sizeof(back)), 0);
	c = rw1(&f, 2, CO_COBD_READ, 7, buf, sizeof(back));
	assert_int_equal(c.status, CO_ST_OK);
	assert_true(co_sim_fault_calls(CO_SIM_FAULT_FILE_READ) >=
		    sizeof(back) / 77);
	assert_int_equal(co_vm_read_gpa(f.vm, buf, back, sizeof(back)), 0);
	assert_memory_equal(back, data, sizeof(back));
	co_sim_fault_reset();

	/* The image shrank behind our back: reads hit end of file. */
	assert_int_equal(truncate(f.path[2], 100 * SECT), 0);
	assert_int_equal(rw1(&f, 2, CO_COBD_READ, 99, buf, 2 * SECT).status,
			 CO_ST_IOERR);
	assert_int_equal(rw1(&f, 2, CO_COBD_READ, 99, buf, SECT).status,
			 CO_ST_OK);
	assert_false(f.vm->stopping);
	cfx_close(&f);
}

static void test_flush_and_discard(void **state)
{
	uint64_t sizes[CO_COBD_UNITS] = { [0] = 256 * SECT };
	struct co_desc d;
	struct co_cpl c;
	struct cfx f;

	cfx_open(&f, sizes, NULL, false);
	unit_ring(&f, 0, 3);
	co_sim_fault_reset();
	co_gring_desc_init(&d, 1, CO_COBD_FLUSH, 0);
	c = submit(&f, 0, &d);
	assert_int_equal(c.status, CO_ST_OK);
	assert_int_equal(c.len, 0);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_SYNC), 1);
	assert_int_equal(submit(&f, 0, &d).status, CO_ST_OK);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_SYNC), 2);
	co_sim_fault_eio(CO_SIM_FAULT_FILE_SYNC, 1);
	assert_int_equal(submit(&f, 0, &d).status, CO_ST_IOERR);
	assert_int_equal(co_sim_fault_injected(CO_SIM_FAULT_FILE_SYNC), 1);

	/* Discard: the range reads back as zeros, the rest is untouched. */
	co_gring_desc_init(&d, 2, CO_COBD_DISCARD, 16);
	d.arg2 = 100;
	c = submit(&f, 0, &d);
	assert_int_equal(c.status, CO_ST_OK);
	memset(f.u[0].model + 16 * SECT, 0, 100 * SECT);
	file_expect(f.path[0], f.u[0].model, sizes[0]);
	/* Up to the very last sector. */
	d.arg = 255;
	d.arg2 = 1;
	assert_int_equal(submit(&f, 0, &d).status, CO_ST_OK);
	memset(f.u[0].model + 255 * SECT, 0, SECT);
	file_expect(f.path[0], f.u[0].model, sizes[0]);

	co_sim_fault_fail_nth(CO_SIM_FAULT_FILE_DISCARD, 1, CO_ENOTSUP);
	assert_int_equal(submit(&f, 0, &d).status, CO_ST_NOTSUP);
	co_sim_fault_eio(CO_SIM_FAULT_FILE_DISCARD, 1);
	assert_int_equal(submit(&f, 0, &d).status, CO_ST_IOERR);
	cfx_close(&f);
}

static void test_info(void **state)
{
	uint64_t sizes[CO_COBD_UNITS] = { [9] = 777 * SECT, [10] = SECT };
	bool ro[CO_COBD_UNITS] = { [10] = true };
	struct co_cobd_info info;
	struct co_desc d;
	struct co_cpl c;
	struct cfx f;
	uint64_t buf;

	cfx_open(&f, sizes, ro, false);
	unit_ring(&f, 9, 0);
	unit_ring(&f, 10, 0);
	buf = data_gpa(&f, 9, 0);
	assert_int_equal(co_ram_fill(&f.vm->ram, buf, 0xee, 64), 0);
	c = rw1(&f, 9, CO_COBD_INFO, 0, buf, 64);
	assert_int_equal(c.status, CO_ST_OK);
	assert_int_equal(c.len, sizeof(info));
	assert_int_equal(co_vm_read_gpa(f.vm, buf, &info, sizeof(info)), 0);
	assert_int_equal(info.sectors, 777);
	assert_int_equal(info.sector_size, SECT);
	assert_int_equal(info.flags, CO_COBD_F_DISCARD);

	/* Split across two segments and a page boundary. */
	co_gring_desc_init(&d, 3, CO_COBD_INFO, 0);
	co_gring_desc_add_seg(&d, data_gpa(&f, 10, 0) + 0xffc, 4);
	co_gring_desc_add_seg(&d, data_gpa(&f, 10, 1), 12);
	c = submit(&f, 10, &d);
	assert_int_equal(c.status, CO_ST_OK);
	assert_int_equal(co_vm_read_gpa(f.vm, data_gpa(&f, 10, 0) + 0xffc,
					&info, 4), 0);
	assert_int_equal(co_vm_read_gpa(f.vm, data_gpa(&f, 10, 1),
					(uint8_t *)&info + 4, 12), 0);
	assert_int_equal(info.sectors, 1);
	assert_int_equal(info.flags, CO_COBD_F_READONLY);

	assert_int_equal(rw1(&f, 9, CO_COBD_INFO, 0, buf, 15).status,
			 CO_ST_INVAL);
	assert_int_equal(rw1(&f, 9, CO_COBD_INFO, 0, 0, 0).status, CO_ST_INVAL);
	cfx_close(&f);
}

/* ---- the ring as a whole --------------------------------------------- */

/* The guest does not reap: the device stops, then resumes. */
static void test_completion_ring_full(void **state)
{
	uint64_t sizes[CO_COBD_UNITS] = { [8] = 64 * SECT };
	struct unit *u;
	struct co_desc d;
	struct co_cpl c;
	unsigned int i;
	struct cfx f;

	cfx_open(&f, sizes, NULL, false);
	unit_ring(&f, 8, 3);
	u = &f.u[8];
	for (i = 0; i < 8; i++) {
		co_gring_desc_init(&d, i, CO_COBD_READ, i);
		co_gring_desc_add_seg(&d, data_gpa(&f, 8, i), SECT);
		assert_int_equal(co_gring_push(&u->ring, &d), 0);
	}
	assert_int_equal(kick(&f, 8), 0);
	assert_int_equal(u->q->completed, 8);

	/* Eight more, published past our free count, not reaped. */
	for (i = 8; i < 16; i++) {
		co_gring_desc_init(&d, i, CO_COBD_WRITE, i);
		co_gring_desc_add_seg(&d, data_gpa(&f, 8, i - 8), SECT);
		u->ring.req[i & 7] = d;
	}
	u->ring.ctl->req_prod = 16;
	assert_int_equal(u->dev->ops->process(u->dev, u->q), 0);
	assert_int_equal(u->q->completed, 8);
	assert_int_equal(u->q->req_cons, 8);
	file_expect(f.path[8], u->model, sizes[8]);

	/* Reaping three lets exactly three in. */
	for (i = 0; i < 3; i++) {
		assert_int_equal(co_gring_reap(&u->ring, &c), 1);
		assert_int_equal(c.id, i);
		assert_int_equal(c.status, CO_ST_OK);
	}
	assert_int_equal(u->dev->ops->process(u->dev, u->q), 0);
	assert_int_equal(u->q->completed, 11);
	for (i = 8; i < 11; i++)
		memcpy(u->model + i * SECT, u->model + (i - 8) * SECT, SECT);
	file_expect(f.path[8], u->model, sizes[8]);
	cfx_close(&f);
}

static void test_broken_ring_stops_vm(void **state)
{
	uint64_t sizes[CO_COBD_UNITS] = { [12] = 8 * SECT };
	struct unit *u;
	struct cfx f;

	cfx_open(&f, sizes, NULL, false);
	unit_ring(&f, 12, 2);
	u = &f.u[12];
	u->ring.ctl->req_prod = 5;
	assert_int_equal(u->dev->ops->process(u->dev, u->q), -CO_EPROTO);
	assert_true(f.vm->stopping);
	assert_int_equal(f.vm->exit.reason, CO_TERM_PROTOCOL);
	assert_non_null(strstr(f.vm->exit.text, "queue 20"));
	cfx_close(&f);
}

/* ---- through the run loop, with a scripted guest --------------------- */

struct loop_ctx {
	struct co_gring ring;
	uint64_t ring_gpa, buf, buf2;
	uint8_t data[3 * SECT];
	bool read_ok;
	int32_t bad_setup;
};

#define LOOP_UNIT 17

static void loop_step(struct co_test_guest *g, unsigned int entry)
{
	struct loop_ctx *x = g->ctx;
	unsigned int irq = CO_IRQ_COBD(LOOP_UNIT);
	struct co_desc d;
	struct co_cpl c;
	uint8_t back[sizeof(x->data)];

	switch (entry) {
	case 0:
		assert_int_equal(g->sh->op, CO_OP_START);
		x->ring_gpa = co_test_scratch_gpa(g, 4096);
		x->buf = co_test_scratch_gpa(g, 3 * 4096) + 0xf80;
		x->buf2 = co_test_scratch_gpa(g, 2 * 4096) + 0x10;
		/* A ring that is not page aligned is refused first. */
		co_test_op(g, CO_OP_QUEUE_SETUP, CO_QUEUE_COBD(LOOP_UNIT),
			   x->ring_gpa + 64, 3);
		break;
	case 1:
		x->bad_setup = g->sh->result;
		co_gring_init(&x->ring, co_test_gpa_ptr(g, x->ring_gpa),
			      x->ring_gpa, 3);
		co_test_op(g, CO_OP_QUEUE_SETUP, CO_QUEUE_COBD(LOOP_UNIT),
			   x->ring_gpa, 3);
		break;
	case 2:
		assert_int_equal(g->sh->result, CO_ST_OK);
		co_test_unmask(g, irq);
		assert_int_equal(co_vm_write_gpa(g->vm, x->buf, x->data,
						 sizeof(x->data)), 0);
		co_gring_desc_init(&d, 1, CO_COBD_WRITE, 5);
		co_gring_desc_add_seg(&d, x->buf, sizeof(x->data));
		co_gring_push(&x->ring, &d);
		co_gring_desc_init(&d, 2, CO_COBD_FLUSH, 0);
		co_gring_push(&x->ring, &d);
		co_gring_publish(&x->ring);
		co_test_doorbell(g, CO_QUEUE_COBD(LOOP_UNIT));
		/* Idle: the completion's interrupt must wake us. */
		co_test_op(g, CO_OP_IDLE, 0, 0, 0);
		break;
	case 3:
		assert_true(co_test_irq_take(g, irq));
		assert_int_equal(co_gring_reap(&x->ring, &c), 1);
		assert_int_equal(c.id, 1);
		assert_int_equal(c.status, CO_ST_OK);
		assert_int_equal(c.len, sizeof(x->data));
		assert_int_equal(co_gring_reap(&x->ring, &c), 1);
		assert_int_equal(c.id, 2);
		assert_int_equal(c.status, CO_ST_OK);
		co_gring_desc_init(&d, 3, CO_COBD_READ, 5);
		co_gring_desc_add_seg(&d, x->buf2, sizeof(x->data));
		co_gring_push(&x->ring, &d);
		co_gring_publish(&x->ring);
		co_test_doorbell(g, CO_QUEUE_COBD(LOOP_UNIT));
		co_test_op(g, CO_OP_NOTIFY, 0, 0, 0);
		break;
	case 4:
		assert_true(co_test_irq_take(g, irq));
		assert_int_equal(co_gring_reap(&x->ring, &c), 1);
		assert_int_equal(c.id, 3);
		assert_int_equal(c.status, CO_ST_OK);
		assert_int_equal(co_vm_read_gpa(g->vm, x->buf2, back,
						sizeof(back)), 0);
		x->read_ok = !memcmp(back, x->data, sizeof(back));
		/* Now break the ring. */
		x->ring.ctl->cpl_cons = 100;
		co_gring_desc_init(&d, 4, CO_COBD_FLUSH, 0);
		co_gring_push(&x->ring, &d);
		co_gring_publish(&x->ring);
		co_test_doorbell(g, CO_QUEUE_COBD(LOOP_UNIT));
		co_test_op(g, CO_OP_YIELD, 0, 0, 0);
		break;
	default:
		fail_msg("the VM should have stopped (entry %u)", entry);
	}
}

static void test_run_loop(void **state)
{
	uint64_t seed = co_test_seed("cobd run loop"), rs = seed;
	struct loop_ctx x = { 0 };
	struct co_test_guest *g;
	struct co_vm_exit exit;
	char path[256], arg[300];
	const char *args[] = { "mem=16", arg, NULL };
	uint8_t *model;
	uint64_t size;

	co_sim_reset();
	co_test_tmp_path(path, sizeof(path), "loop.img");
	co_test_make_file(path, 32 * SECT, 5);
	model = file_load(path, &size);
	snprintf(arg, sizeof(arg), "cobd%u=%s", LOOP_UNIT, path);
	fill_random(x.data, sizeof(x.data), &rs);
	assert_int_equal(co_test_boot(args, loop_step, &x, &g), 0);
	assert_int_equal(co_test_run(g, &exit), CO_TERM_PROTOCOL);
	assert_non_null(strstr(exit.text, "queue 25"));
	assert_int_equal(x.bad_setup, CO_ST_INVAL);
	assert_true(x.read_ok);
	assert_int_equal(g->entries, 5);
	assert_int_equal(g->vm->stats.requests, 3);
	assert_int_equal(co_sim_fault_calls(CO_SIM_FAULT_FILE_SYNC), 1);
	co_test_destroy(g);
	memcpy(model + 5 * SECT, x.data, sizeof(x.data));
	file_expect(path, model, size);
	free(model);
	unlink(path);
	assert_int_equal(co_sim_leak_check(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_info),
		cmocka_unit_test(test_create_bad_images),
		cmocka_unit_test(test_create_failures),
		cmocka_unit_test(test_create_direct),
		cmocka_unit_test(test_write_then_read),
		cmocka_unit_test(test_sg_paged),
		cmocka_unit_test(test_sg_contiguous),
		cmocka_unit_test(test_random_many_units),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_io_errors),
		cmocka_unit_test(test_flush_and_discard),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_completion_ring_full),
		cmocka_unit_test(test_broken_ring_stops_vm),
		cmocka_unit_test(test_run_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
