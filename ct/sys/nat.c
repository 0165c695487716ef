// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers of rust_conntrack's NAT. See nat.h.
 */
#include <linux/inetdevice.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/addrconf.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/netfilter/nf_tables_ipv4.h>
#include <net/netfilter/nf_tables_ipv6.h>
#include <net/route.h>

#include "nat.h"

unsigned int rct_skb_ip_summed(const struct sk_buff *skb, __wsum *csum, bool *sw_valid)
{
	*csum = skb->csum;
	*sw_valid = skb->csum_complete_sw && skb->csum_valid;
	return skb->ip_summed;
}

void rct_skb_set_ip_summed(struct sk_buff *skb, unsigned int ip_summed, __wsum csum,
			   bool sw_valid)
{
	if (ip_summed == CHECKSUM_PARTIAL)
		return;
	skb->ip_summed = ip_summed;
	if (ip_summed == CHECKSUM_COMPLETE) {
		skb->csum = csum;
		if (sw_valid) {
			skb->csum_complete_sw = 1;
			skb->csum_valid = 1;
		}
	}
}

int rct_skb_ensure_writable(struct sk_buff *skb, unsigned int len)
{
	return skb_ensure_writable(skb, len);
}

unsigned char *rct_skb_data(struct sk_buff *skb)
{
	return skb->data;
}

void rct_skb_dst_drop(struct sk_buff *skb)
{
	skb_dst_drop(skb);
}

bool rct_skb_demuxed_sock(const struct sk_buff *skb, __be16 *dport)
{
	struct sock *sk = skb->sk;

	if (!sk || inet_sk_transparent(sk))
		return false;
	*dport = sk->sk_dport;
	return true;
}

void rct_skb_orphan(struct sk_buff *skb)
{
	skb_orphan(skb);
}

int rct_dev_ifindex(const struct net_device *dev)
{
	return dev->ifindex;
}

int rct_route_me_harder(const struct nf_hook_state *state, struct sk_buff *skb)
{
	if (state->pf == NFPROTO_IPV6)
		return ip6_route_me_harder(state->net, state->sk, skb);
	return ip_route_me_harder(state->net, state->sk, skb, RTN_UNSPEC);
}

int rct_masq_source(const struct nf_hook_state *state, struct sk_buff *skb, u8 *addr)
{
	if (state->pf == NFPROTO_IPV6) {
		struct in6_addr src;

		if (ipv6_dev_get_saddr(state->net, state->out, &ipv6_hdr(skb)->daddr, 0, &src) < 0)
			return -EADDRNOTAVAIL;
		memcpy(addr, &src, sizeof(src));
		return 0;
	} else {
		const struct rtable *rt = skb_rtable(skb);
		__be32 nh = rt_nexthop(rt, ip_hdr(skb)->daddr);
		__be32 src = inet_select_addr(state->out, nh, RT_SCOPE_UNIVERSE);

		if (!src)
			return -EADDRNOTAVAIL;
		memcpy(addr, &src, sizeof(src));
		return 0;
	}
}

/* An IPv6 address of the receiving device a redirected packet may go to. */
static bool redirect_usable(const struct inet6_ifaddr *ifa, unsigned int scope)
{
	unsigned int type = ipv6_addr_type(&ifa->addr);

	if (type & IPV6_ADDR_MAPPED)
		return false;
	if ((ifa->flags & IFA_F_TENTATIVE) && !(ifa->flags & IFA_F_OPTIMISTIC))
		return false;
	return !scope || (scope & type & IPV6_ADDR_SCOPE_MASK);
}

int rct_redirect_addr(const struct nf_hook_state *state, struct sk_buff *skb, u8 *addr)
{
	if (state->pf == NFPROTO_IPV6) {
		unsigned int scope = ipv6_addr_scope(&ipv6_hdr(skb)->daddr);
		const struct inet6_ifaddr *ifa;
		struct inet6_dev *idev;
		int err = -EADDRNOTAVAIL;

		idev = __in6_dev_get(skb->dev);
		if (!idev)
			return err;
		read_lock_bh(&idev->lock);
		list_for_each_entry(ifa, &idev->addr_list, if_list) {
			if (redirect_usable(ifa, scope)) {
				memcpy(addr, &ifa->addr, sizeof(ifa->addr));
				err = 0;
				break;
			}
		}
		read_unlock_bh(&idev->lock);
		return err;
	} else {
		const struct in_device *indev;
		const struct in_ifaddr *ifa;
		__be32 dst = 0;

		indev = __in_dev_get_rcu(skb->dev);
		ifa = indev ? rcu_dereference(indev->ifa_list) : NULL;
		if (ifa)
			dst = ifa->ifa_local;
		if (!dst)
			return -EADDRNOTAVAIL;
		memcpy(addr, &dst, sizeof(dst));
		return 0;
	}
}

unsigned int rct_nft_nat_do_chain(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct nft_pktinfo pkt;

	nft_set_pktinfo(&pkt, skb, state);
	switch (state->pf) {
	case NFPROTO_IPV4:
		nft_set_pktinfo_ipv4(&pkt);
		break;
	case NFPROTO_IPV6:
		nft_set_pktinfo_ipv6(&pkt);
		break;
	default:
		break;
	}
	return nft_do_chain(&pkt, priv);
}

struct nf_hook_entries *rct_hook_entries_deref(struct nf_hook_entries __rcu **pp)
{
	return rcu_dereference(*pp);
}

unsigned int rct_hook_entries_count(const struct nf_hook_entries *e)
{
	return e ? e->num_hook_entries : 0;
}

unsigned int rct_hook_entries_run(const struct nf_hook_entries *e, unsigned int i,
				  struct sk_buff *skb, const struct nf_hook_state *state)
{
	return e->hooks[i].hook(e->hooks[i].priv, skb, state);
}

int rct_netdev_down(unsigned long event, void *ptr, struct net **net)
{
	const struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (event != NETDEV_DOWN)
		return 0;
	*net = dev_net(dev);
	return dev->ifindex;
}

int rct_inetaddr_removed(unsigned long event, void *ptr, struct net **net, u8 *addr)
{
	const struct in_ifaddr *ifa = ptr;
	const struct in_device *idev = ifa->ifa_dev;

	/* A device going away takes its addresses along: the device event covers those. */
	if (event != NETDEV_DOWN || idev->dead)
		return 0;
	*net = dev_net(idev->dev);
	memcpy(addr, &ifa->ifa_address, sizeof(ifa->ifa_address));
	return idev->dev->ifindex;
}

int rct_inet6addr_removed(unsigned long event, void *ptr, struct net **net, u8 *addr)
{
	const struct inet6_ifaddr *ifa = ptr;
	const struct net_device *dev = ifa->idev->dev;

	if (event != NETDEV_DOWN)
		return 0;
	*net = dev_net(dev);
	memcpy(addr, &ifa->addr, sizeof(ifa->addr));
	return dev->ifindex;
}
