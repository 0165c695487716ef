// SPDX-License-Identifier: GPL-2.0
/*
 * nftables expressions of rust_conntrack: their attribute policies, as the nft tool and the
 * kernel's nft_ct and nft_connlimit define the attributes, and the aliases under which
 * nf_tables asks for them.
 */
#include <linux/module.h>

#include "nftables.h"

const struct nla_policy rct_nft_ct_policy[NFTA_CT_MAX + 1] = {
	[NFTA_CT_DREG]		= { .type = NLA_U32 },
	[NFTA_CT_KEY]		= NLA_POLICY_MAX(NLA_BE32, 255),
	[NFTA_CT_DIRECTION]	= { .type = NLA_U8 },
	[NFTA_CT_SREG]		= { .type = NLA_U32 },
};

const struct nla_policy rct_nft_connlimit_policy[NFTA_CONNLIMIT_MAX + 1] = {
	[NFTA_CONNLIMIT_COUNT]	= { .type = NLA_U32 },
	[NFTA_CONNLIMIT_FLAGS]	= { .type = NLA_U32 },
};

const struct nla_policy rct_nft_nat_policy[NFTA_NAT_MAX + 1] = {
	[NFTA_NAT_TYPE]		 = { .type = NLA_U32 },
	[NFTA_NAT_FAMILY]	 = { .type = NLA_U32 },
	[NFTA_NAT_REG_ADDR_MIN]	 = { .type = NLA_U32 },
	[NFTA_NAT_REG_ADDR_MAX]	 = { .type = NLA_U32 },
	[NFTA_NAT_REG_PROTO_MIN] = { .type = NLA_U32 },
	[NFTA_NAT_REG_PROTO_MAX] = { .type = NLA_U32 },
	[NFTA_NAT_FLAGS]	 = NLA_POLICY_MASK(NLA_BE32, NF_NAT_RANGE_MASK),
};

const struct nla_policy rct_nft_masq_policy[NFTA_MASQ_MAX + 1] = {
	[NFTA_MASQ_FLAGS]		= NLA_POLICY_MASK(NLA_BE32, NF_NAT_RANGE_MASK),
	[NFTA_MASQ_REG_PROTO_MIN]	= { .type = NLA_U32 },
	[NFTA_MASQ_REG_PROTO_MAX]	= { .type = NLA_U32 },
};

const struct nla_policy rct_nft_redir_policy[NFTA_REDIR_MAX + 1] = {
	[NFTA_REDIR_REG_PROTO_MIN]	= { .type = NLA_U32 },
	[NFTA_REDIR_REG_PROTO_MAX]	= { .type = NLA_U32 },
	[NFTA_REDIR_FLAGS]		= NLA_POLICY_MASK(NLA_BE32, NF_NAT_RANGE_MASK),
};

MODULE_ALIAS("nft-expr-ct");
MODULE_ALIAS("nft-expr-notrack");
MODULE_ALIAS("nft-expr-connlimit");
MODULE_ALIAS("nft-expr-nat");
MODULE_ALIAS("nft-expr-1-nat");
MODULE_ALIAS("nft-expr-masq");
MODULE_ALIAS("nft-expr-2-masq");
MODULE_ALIAS("nft-expr-10-masq");
MODULE_ALIAS("nft-expr-1-masq");
MODULE_ALIAS("nft-expr-redir");
MODULE_ALIAS("nft-expr-2-redir");
MODULE_ALIAS("nft-expr-10-redir");
MODULE_ALIAS("nft-expr-1-redir");
MODULE_ALIAS("nft-chain-2-nat");
MODULE_ALIAS("nft-chain-10-nat");
MODULE_ALIAS("nft-chain-1-nat");
