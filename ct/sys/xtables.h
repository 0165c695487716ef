/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the xtables glue needs from C: the registration of matches and targets, and the uapi
 * layouts of those it provides.
 */
#ifndef RUST_CONNTRACK_XTABLES_H
#define RUST_CONNTRACK_XTABLES_H

#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_state.h>
#include <linux/netfilter/xt_connmark.h>
#include <linux/netfilter/xt_connlimit.h>
#include <linux/netfilter/xt_CT.h>
#include <linux/netfilter/nf_nat.h>

#endif
