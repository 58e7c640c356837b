// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * minivmm: a ground-truth VMM for the host view. One vCPU in real mode runs
 * a guest that does exactly N `out` to one port, M one-byte writes to a
 * guest-physical page that has no memory behind it (MMIO), then HLT. The
 * VMM handles KVM_EXIT_IO, KVM_EXIT_MMIO and KVM_EXIT_HLT and prints what it
 * saw:  io N mmio M hlt 1
 *
 *   minivmm [--wait] [--port PORT] [--vcpu ID] N M
 *   minivmm --probe          only check that /dev/kvm can run a VM
 *
 * --wait sets the VM up, prints "ready", and runs the guest only once it
 * gets SIGUSR1 (so that a recorder can attach first with --pid). --vcpu gives
 * the one vCPU that id instead of 0 (to tell per-vCPU rows from zeroes).
 * Exit status: 0 done, 1 failure, 2 usage, 77 /dev/kvm unusable here.
 * Written from the KVM API (Documentation/virt/kvm/api.rst).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define EXIT_SKIP 77
#define MEM_SIZE 0x10000	/* guest RAM: GPA 0 .. 64 KiB */
#define CODE_GPA 0x1000
#define MMIO_GPA 0x10000	/* the first page past RAM: no memory slot */
#define TSS_GPA 0xfffbd000	/* three pages KVM needs for real mode on old VMX */

/*
 * The guest, 16-bit real mode; CS = 0, IP = CODE_GPA, ECX = N, EBX = M,
 * DX = port, DS = MMIO_GPA >> 4. Assembled with `as --32` (.code16):
 *	test %ecx,%ecx ; jz 1f
 * 0:	out %al,(%dx) ; dec %ecx ; jnz 0b
 * 1:	test %ebx,%ebx ; jz 3f
 * 2:	mov %al,%ds:0 ; dec %ebx ; jnz 2b
 * 3:	hlt ; jmp 3b
 */
static const uint8_t guest_code[] = {
	0x66, 0x85, 0xc9,	/* test %ecx,%ecx */
	0x74, 0x05,		/* jz +5 (to 1:) */
	0xee,			/* 0: out %al,(%dx) */
	0x66, 0x49,		/* dec %ecx */
	0x75, 0xfb,		/* jnz 0b */
	0x66, 0x85, 0xdb,	/* 1: test %ebx,%ebx */
	0x74, 0x07,		/* jz +7 (to 3:) */
	0xa2, 0x00, 0x00,	/* 2: mov %al,%ds:0 */
	0x66, 0x4b,		/* dec %ebx */
	0x75, 0xf9,		/* jnz 2b */
	0xf4,			/* 3: hlt */
	0xeb, 0xfd,		/* jmp 3b */
};

struct vm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
};

static int usage(void)
{
	fprintf(stderr, "usage: minivmm [--wait] [--port PORT] [--vcpu ID] N M\n"
			"       minivmm --probe\n");
	return 2;
}

static int fail(const char *what)
{
	fprintf(stderr, "minivmm: %s: %s\n", what, strerror(errno));
	return 1;
}

static int parse_count(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoul(s, &end, 0);
	return errno || end == s || *end || s[0] == '-' || *ret > max ? -1 : 0;
}

/* /dev/kvm and a VM: what decides whether KVM can be used here at all. */
static int open_kvm(struct vm *v)
{
	int api;

	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0) {
		fprintf(stderr, "minivmm: /dev/kvm unavailable: %s\n", strerror(errno));
		return EXIT_SKIP;
	}
	api = ioctl(v->kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		fprintf(stderr, "minivmm: /dev/kvm unavailable: API version %d, expected %d\n",
			api, KVM_API_VERSION);
		return EXIT_SKIP;
	}
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		return fail("KVM_CREATE_VM");
	return 0;
}

static int setup(struct vm *v, unsigned long n_io, unsigned long n_mmio, unsigned int port,
		 unsigned int vcpu_id)
{
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int size;

	v->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED)
		return fail("mmap guest memory");
	memcpy(v->mem + CODE_GPA, guest_code, sizeof(guest_code));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = MEM_SIZE;
	region.userspace_addr = (uintptr_t)v->mem;
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region))
		return fail("KVM_SET_USER_MEMORY_REGION");
	/*
	 * Real mode on VMX without unrestricted guest needs this region; where
	 * the backend does not need it (SVM, unrestricted guest) failure is harmless.
	 */
	if (ioctl(v->kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0)
		ioctl(v->vm, KVM_SET_TSS_ADDR, TSS_GPA);

	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, vcpu_id);
	if (v->vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	v->run_size = size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED)
		return fail("mmap kvm_run");

	if (ioctl(v->vcpu, KVM_GET_SREGS, &sregs))
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = MMIO_GPA;
	sregs.ds.selector = MMIO_GPA >> 4;
	if (ioctl(v->vcpu, KVM_SET_SREGS, &sregs))
		return fail("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 0x2;	/* bit 1 is reserved and must be set */
	regs.rcx = n_io;
	regs.rbx = n_mmio;
	regs.rdx = port;
	if (ioctl(v->vcpu, KVM_SET_REGS, &regs))
		return fail("KVM_SET_REGS");
	return 0;
}

static int run(struct vm *v, unsigned int port, unsigned long *ret_io, unsigned long *ret_mmio)
{
	struct kvm_run *r = v->run;

	for (;;) {
		if (ioctl(v->vcpu, KVM_RUN, 0)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return fail("KVM_RUN");
		}
		switch (r->exit_reason) {
		case KVM_EXIT_IO:
			if (r->io.direction != KVM_EXIT_IO_OUT || r->io.port != port ||
			    r->io.size != 1 || r->io.count != 1) {
				fprintf(stderr, "minivmm: unexpected I/O: %s port 0x%x size %u "
					"count %u\n", r->io.direction ? "out" : "in", r->io.port,
					r->io.size, r->io.count);
				return 1;
			}
			(*ret_io)++;
			break;
		case KVM_EXIT_MMIO:
			if (!r->mmio.is_write || r->mmio.phys_addr != MMIO_GPA || r->mmio.len != 1) {
				fprintf(stderr, "minivmm: unexpected MMIO: %s 0x%llx len %u\n",
					r->mmio.is_write ? "write" : "read",
					(unsigned long long)r->mmio.phys_addr, r->mmio.len);
				return 1;
			}
			(*ret_mmio)++;
			break;
		case KVM_EXIT_HLT:
			return 0;
		case KVM_EXIT_FAIL_ENTRY:
			fprintf(stderr, "minivmm: VM entry failed, hardware reason 0x%llx\n",
				(unsigned long long)r->fail_entry.hardware_entry_failure_reason);
			return 1;
		case KVM_EXIT_INTERNAL_ERROR:
			fprintf(stderr, "minivmm: KVM internal error, suberror %u\n",
				r->internal.suberror);
			return 1;
		default:
			fprintf(stderr, "minivmm: unexpected exit reason %u\n", r->exit_reason);
			return 1;
		}
	}
}

int main(int argc, char **argv)
{
	struct vm v = { .kvm = -1, .vm = -1, .vcpu = -1 };
	unsigned long n_io, n_mmio, port = 0x10, vcpu_id = 0, got_io = 0, got_mmio = 0;
	int wait = 0, i = 1, ret;
	sigset_t usr1;

	if (argc == 2 && !strcmp(argv[1], "--probe"))
		return open_kvm(&v);
	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (!strcmp(argv[i], "--wait"))
			wait = 1;
		else if (!strcmp(argv[i], "--port") && i + 1 < argc &&
			 !parse_count(argv[i + 1], 0xffff, &port))
			i++;
		else if (!strcmp(argv[i], "--vcpu") && i + 1 < argc &&
			 !parse_count(argv[i + 1], 1023, &vcpu_id))
			i++;
		else
			return usage();
	}
	if (argc - i != 2 || parse_count(argv[i], 0xffffffff, &n_io) ||
	    parse_count(argv[i + 1], 0xffffffff, &n_mmio))
		return usage();

	/* Blocked before "ready", so that an early SIGUSR1 is not lost. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	ret = open_kvm(&v);
	if (!ret)
		ret = setup(&v, n_io, n_mmio, port, vcpu_id);
	if (ret)
		return ret;
	if (wait) {
		printf("ready\n");
		fflush(stdout);
		while (sigwaitinfo(&usr1, NULL) < 0 && errno == EINTR)
			;
	}
	ret = run(&v, port, &got_io, &got_mmio);
	if (ret)
		return ret;
	printf("io %lu mmio %lu hlt 1\n", got_io, got_mmio);
	return got_io == n_io && got_mmio == n_mmio ? 0 : 1;
}
