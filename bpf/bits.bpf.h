/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Branch-light integer log2 for the histograms; plain C, shared by BPF and user space. */
#ifndef HVT_BITS_BPF_H
#define HVT_BITS_BPF_H

static __always_inline __u32 hvt_log2_32(__u32 v)
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
static __always_inline __u32 hvt_log2_64(__u64 v)
{
	__u32 hi = v >> 32;

	return hi ? hvt_log2_32(hi) + 32 : hvt_log2_32(v);
}

#endif /* HVT_BITS_BPF_H */
