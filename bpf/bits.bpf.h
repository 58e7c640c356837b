/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Branch-light integer log2 for the histograms; shared by every BPF program. */
#ifndef HVT_BITS_BPF_H
#define HVT_BITS_BPF_H

static __always_inline __u32 log2u(__u32 v)
{
	__u32 r, shift;

	r = (v > 0xffff) << 4;
	v >>= r;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (v >> 1);
	return r;
}

/* floor(log2(v)) for v >= 1, and 0 for v = 0. */
static __always_inline __u32 log2l(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? log2u(hi) + 32 : log2u(v);
}

#endif /* HVT_BITS_BPF_H */
