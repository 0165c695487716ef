/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the nftables glue needs from C: the netlink attribute policies of the expressions it
 * provides, which are declarative tables, and the module aliases by which nf_tables finds them.
 */
#ifndef RUST_CONNTRACK_NFTABLES_H
#define RUST_CONNTRACK_NFTABLES_H

#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <net/netlink.h>
#include <net/netfilter/nf_tables.h>

extern const struct nla_policy rct_nft_ct_policy[NFTA_CT_MAX + 1];
extern const struct nla_policy rct_nft_connlimit_policy[NFTA_CONNLIMIT_MAX + 1];
extern const struct nla_policy rct_nft_nat_policy[NFTA_NAT_MAX + 1];
extern const struct nla_policy rct_nft_masq_policy[NFTA_MASQ_MAX + 1];
extern const struct nla_policy rct_nft_redir_policy[NFTA_REDIR_MAX + 1];

#endif
