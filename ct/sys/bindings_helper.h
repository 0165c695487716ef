/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What rust_conntrack's own bindings cover, on top of the kernel crate's: bindgen reads this
 * file. Types the kernel crate already has are taken from it.
 */
#include <linux/capability.h>
#include <linux/module.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/inetdevice.h>
#include <net/addrconf.h>
#include <linux/proc_fs.h>
#include <linux/ratelimit.h>
#include <linux/sched/stat.h>
#include <linux/random.h>
#include <linux/seq_file_net.h>
#include <net/net_namespace.h>
#include <net/netfilter/ipv4/nf_defrag_ipv4.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>
#include <net/netfilter/nf_conntrack.h>

#include "helpers.h"
#include "nftables.h"
#include "nat.h"
#include "xtables.h"
#include <uapi/linux/netfilter/nf_nat.h>

const int RCT_NF_ACCEPT = NF_ACCEPT;
const int RCT_NF_DROP = NF_DROP;
const int RCT_NOTIFY_OK = NOTIFY_OK;
const int RCT_NOTIFY_BUSY = NOTIFY_STOP_MASK | (NOTIFY_OK + EBUSY);
const unsigned long RCT_HZ = HZ;
const gfp_t RCT_GFP_ATOMIC = GFP_ATOMIC;
const gfp_t RCT_GFP_KERNEL = GFP_KERNEL;
const int RCT_CAP_NET_ADMIN = CAP_NET_ADMIN;
const u8 RCT_NF_CT_DEFAULT_ZONE_DIR = NF_CT_DEFAULT_ZONE_DIR;
const unsigned int RCT_CHECKSUM_NONE = CHECKSUM_NONE;
const unsigned int RCT_CHECKSUM_UNNECESSARY = CHECKSUM_UNNECESSARY;
const unsigned int RCT_CHECKSUM_COMPLETE = CHECKSUM_COMPLETE;
const unsigned int RCT_CHECKSUM_PARTIAL = CHECKSUM_PARTIAL;
const int RCT_NLMSG_GOODSIZE = NLMSG_GOODSIZE;
/* Where sk_buff fields inside its anonymous unions are, whatever this kernel names them. */
const size_t RCT_SKB_NETWORK_HEADER_OFFSET = offsetof(struct sk_buff, network_header);
const size_t RCT_SKB_MARK_OFFSET = offsetof(struct sk_buff, mark);
