/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What NAT needs from C: skb and routing fields the kernel keeps in bitfields or reaches
 * through inline functions, the addresses masquerade and redirect pick, and the chain hook of
 * nftables' NAT chains.
 */
#ifndef RUST_CONNTRACK_NAT_H
#define RUST_CONNTRACK_NAT_H

#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <net/netfilter/nf_tables.h>

/* The checksum state of @skb: CHECKSUM_* in the low bits, CHECKSUM_COMPLETE's sum in @csum. */
unsigned int rct_skb_ip_summed(const struct sk_buff *skb, __wsum *csum, bool *sw_valid);
void rct_skb_set_ip_summed(struct sk_buff *skb, unsigned int ip_summed, __wsum csum,
			   bool sw_valid);
int rct_skb_ensure_writable(struct sk_buff *skb, unsigned int len);
unsigned char *rct_skb_data(struct sk_buff *skb);
void rct_skb_dst_drop(struct sk_buff *skb);
/* Whether @skb has a socket early demultiplexing found, that is not transparent. */
bool rct_skb_demuxed_sock(const struct sk_buff *skb, __be16 *dport);
void rct_skb_orphan(struct sk_buff *skb);
int rct_dev_ifindex(const struct net_device *dev);
int rct_route_me_harder(const struct nf_hook_state *state, struct sk_buff *skb);

/* The source address masquerade gives a packet leaving through @out; 0 for none. */
int rct_masq_source(const struct nf_hook_state *state, struct sk_buff *skb, u8 *addr);
/* The address on its input device redirect sends an arriving packet to; 0 for none. */
int rct_redirect_addr(const struct nf_hook_state *state, struct sk_buff *skb, u8 *addr);

/* Runs an nftables NAT chain: the hook of NAT chains, called from NAT's own hooks. */
unsigned int rct_nft_nat_do_chain(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state);

/* Private hook lists, as nf_nat keeps the chains of each NAT hook (net/netfilter/core.c). */
int nf_hook_entries_insert_raw(struct nf_hook_entries __rcu **pp, const struct nf_hook_ops *reg);
void nf_hook_entries_delete_raw(struct nf_hook_entries __rcu **pp, const struct nf_hook_ops *reg);

/* The hooks of a private list: how many, and running the @i-th. */
struct nf_hook_entries *rct_hook_entries_deref(struct nf_hook_entries __rcu **pp);
unsigned int rct_hook_entries_count(const struct nf_hook_entries *e);
unsigned int rct_hook_entries_run(const struct nf_hook_entries *e, unsigned int i,
				  struct sk_buff *skb, const struct nf_hook_state *state);

/*
 * What a device or address event says, for masquerade: the index of a device going down, or
 * of one losing an address (also copied to @addr), and its namespace; 0 for other events.
 */
int rct_netdev_down(unsigned long event, void *ptr, struct net **net);
int rct_inetaddr_removed(unsigned long event, void *ptr, struct net **net, u8 *addr);
int rct_inet6addr_removed(unsigned long event, void *ptr, struct net **net, u8 *addr);

#endif
