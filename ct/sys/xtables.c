// SPDX-License-Identifier: GPL-2.0
/*
 * xtables extensions of rust_conntrack: the aliases under which x_tables and nft_compat ask for
 * the matches and targets of xt_conntrack, xt_state, xt_connmark, xt_connlimit, xt_nat,
 * xt_MASQUERADE, xt_REDIRECT and xt_CT.
 */
#include <linux/module.h>

#include "xtables.h"

MODULE_ALIAS("ipt_conntrack");
MODULE_ALIAS("ip6t_conntrack");
MODULE_ALIAS("xt_conntrack");
MODULE_ALIAS("ipt_state");
MODULE_ALIAS("ip6t_state");
MODULE_ALIAS("xt_state");
MODULE_ALIAS("ipt_connmark");
MODULE_ALIAS("ip6t_connmark");
MODULE_ALIAS("ipt_CONNMARK");
MODULE_ALIAS("ip6t_CONNMARK");
MODULE_ALIAS("xt_connmark");
MODULE_ALIAS("xt_CONNMARK");
MODULE_ALIAS("ipt_connlimit");
MODULE_ALIAS("ip6t_connlimit");
MODULE_ALIAS("xt_connlimit");
MODULE_ALIAS("ipt_SNAT");
MODULE_ALIAS("ipt_DNAT");
MODULE_ALIAS("ip6t_SNAT");
MODULE_ALIAS("ip6t_DNAT");
MODULE_ALIAS("xt_SNAT");
MODULE_ALIAS("xt_DNAT");
MODULE_ALIAS("xt_nat");
MODULE_ALIAS("ipt_MASQUERADE");
MODULE_ALIAS("ip6t_MASQUERADE");
MODULE_ALIAS("xt_MASQUERADE");
MODULE_ALIAS("ipt_REDIRECT");
MODULE_ALIAS("ip6t_REDIRECT");
MODULE_ALIAS("xt_REDIRECT");
MODULE_ALIAS("ipt_CT");
MODULE_ALIAS("ip6t_CT");
MODULE_ALIAS("xt_CT");
MODULE_ALIAS("ipt_NOTRACK");
MODULE_ALIAS("ip6t_NOTRACK");
MODULE_ALIAS("xt_NOTRACK");
