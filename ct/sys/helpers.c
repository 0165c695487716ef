// SPDX-License-Identifier: GPL-2.0
/*
 * C helpers for rust_conntrack. See helpers.h.
 */
#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/seq_file_net.h>
#include <linux/netdevice.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/proc_fs.h>
#include <net/netfilter/nf_log.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <net/netns/generic.h>

#include "helpers.h"

void rct_spin_lock_bh(spinlock_t *lock)
{
	spin_lock_bh(lock);
}

void rct_spin_lock_bh_nested(spinlock_t *lock)
{
	local_bh_disable();
	spin_lock_nested(lock, SINGLE_DEPTH_NESTING);
}

void rct_spin_unlock_bh(spinlock_t *lock)
{
	spin_unlock_bh(lock);
}

void rct_rcu_read_lock(void)
{
	rcu_read_lock();
}

void rct_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

void *rct_net_generic(const struct net *net, unsigned int id)
{
	return net_generic(net, id);
}

/* The data a /proc file was created with. */
void *rct_seq_pde_data(struct seq_file *seq)
{
	return pde_data(file_inode(seq->file));
}

/* The namespace's /proc/net directory, or /proc/net/stat with @stat. */
struct proc_dir_entry *rct_net_proc(const struct net *net, bool stat)
{
	return stat ? net->proc_net_stat : net->proc_net;
}

bool rct_net_is_init(const struct net *net)
{
	return net_eq(net, &init_net);
}

/* Gives a /proc/net entry to the root of the namespace's user namespace, as nf_conntrack does. */
void rct_proc_set_netns_root(struct proc_dir_entry *pde, const struct net *net)
{
	kuid_t uid = make_kuid(net->user_ns, 0);
	kgid_t gid = make_kgid(net->user_ns, 0);

	if (uid_valid(uid) && gid_valid(gid))
		proc_set_user(pde, uid, gid);
}

struct net *rct_init_net(void)
{
	return &init_net;
}

struct kmem_cache *rct_kmem_cache_create(const char *name, unsigned int size)
{
	/* Unmerged, so that /proc/slabinfo shows it on its own. */
	return kmem_cache_create(name, size, 0, SLAB_NO_MERGE, NULL);
}

void *rct_kmem_cache_alloc(struct kmem_cache *cache, gfp_t gfp)
{
	return kmem_cache_alloc(cache, gfp);
}

void rct_cond_resched(void)
{
	cond_resched();
}

void rct_init_delayed_work(struct delayed_work *work, work_func_t func)
{
	INIT_DELAYED_WORK(work, func);
}

bool rct_queue_delayed_work(struct delayed_work *work, unsigned long delay)
{
	return queue_delayed_work(system_power_efficient_wq, work, delay);
}

bool rct_mod_delayed_work(struct delayed_work *work, unsigned long delay)
{
	return mod_delayed_work(system_power_efficient_wq, work, delay);
}

void __percpu *rct_alloc_percpu(size_t size, size_t align)
{
	return __alloc_percpu(size, align);
}

void *rct_per_cpu_ptr(void __percpu *ptr, int cpu)
{
	return per_cpu_ptr(ptr, cpu);
}

/* Adds one to the u32 at @offset in this CPU's copy of @base. */
void rct_this_cpu_inc_at(void __percpu *base, size_t offset)
{
	this_cpu_inc(*(u32 __percpu *)((u8 __percpu *)base + offset));
}

int rct_smp_processor_id(void)
{
	return raw_smp_processor_id();
}

/* The next possible CPU after @cpu (-1 starts), or nr_cpu_ids when there is none. */
int rct_next_possible_cpu(int cpu)
{
	return cpumask_next(cpu, cpu_possible_mask);
}

/* Installs @hook as the kernel's conntrack hook, unless another provider has it. */
int rct_ct_hook_claim(const struct nf_ct_hook *hook)
{
	const struct nf_ct_hook *old = NULL;

	return try_cmpxchg((const struct nf_ct_hook **)&nf_ct_hook, &old, hook) ? 0 : -EBUSY;
}

void rct_ct_hook_release(const struct nf_ct_hook *hook)
{
	cmpxchg((const struct nf_ct_hook **)&nf_ct_hook, hook, NULL);
}

void rct_skb_set_nfct(struct sk_buff *skb, unsigned long nfct)
{
	skb_set_nfct(skb, nfct);
}

/* The namespace of the skb's device, or NULL without a device. */
struct net *rct_skb_dev_net(const struct sk_buff *skb)
{
	return skb->dev ? dev_net(skb->dev) : NULL;
}

/* A packet holding a copy of @data, network header first, for tests. */
struct sk_buff *rct_skb_from(const void *data, unsigned int len)
{
	struct sk_buff *skb = alloc_skb(len, GFP_KERNEL);

	if (skb) {
		skb_put_data(skb, data, len);
		skb_reset_network_header(skb);
	}
	return skb;
}

/*
 * A packet holding a copy of @data, network header first, with its first @linear bytes in the
 * head and the rest in a page fragment, as received packets often are; for tests.
 */
struct sk_buff *rct_skb_from_paged(const void *data, unsigned int len, unsigned int linear)
{
	struct sk_buff *skb;
	struct page *page;

	if (linear > len || len - linear > PAGE_SIZE)
		return NULL;
	skb = alloc_skb(linear, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_put_data(skb, data, linear);
	skb_reset_network_header(skb);
	if (len > linear) {
		page = alloc_page(GFP_KERNEL);
		if (!page) {
			kfree_skb(skb);
			return NULL;
		}
		memcpy(page_address(page), data + linear, len - linear);
		skb_add_rx_frag(skb, 0, page, 0, len - linear, PAGE_SIZE);
	}
	return skb;
}

void rct_skb_free(struct sk_buff *skb)
{
	kfree_skb(skb);
}

/*
 * Logs a packet a tracker found invalid, as nf_conntrack does with nf_conntrack_log_invalid set:
 * through the namespace's logger, "nf_ct_proto_<proto>: <msg> " and the packet.
 */
void rct_log_invalid(const struct nf_hook_state *state, struct sk_buff *skb, u8 proto,
		     const char *msg)
{
	nf_log_packet(state->net, state->pf, 0, skb, state->in, state->out, NULL,
		      "nf_ct_proto_%d: %s ", proto, msg);
}

/* The port of the socket that sent a netlink message. */
u32 rct_netlink_portid(const struct sk_buff *skb)
{
	return NETLINK_CB(skb).portid;
}

/* The namespace of the socket an skb belongs to. */
struct net *rct_skb_sock_net(const struct sk_buff *skb)
{
	return sock_net(skb->sk);
}

/* Starts a dump answering @nlh, holding a reference on this module while it runs. */
int rct_netlink_dump_start(struct sock *ssk, struct sk_buff *skb, const struct nlmsghdr *nlh,
			   struct netlink_dump_control *control)
{
	return netlink_dump_start(ssk, skb, nlh, control);
}

unsigned int rct_skb_tailroom(const struct sk_buff *skb)
{
	return skb_tailroom(skb);
}

struct sk_buff *rct_alloc_skb(unsigned int size, gfp_t gfp)
{
	return alloc_skb(size, gfp);
}

u64 rct_ktime_get_real_ns(void)
{
	return ktime_get_real_ns();
}

unsigned long rct_totalram_pages(void)
{
	return totalram_pages();
}

static unsigned int hashsize;
module_param(hashsize, uint, 0444);
MODULE_PARM_DESC(hashsize, "Buckets in each namespace's table (default: sized from memory, as nf_conntrack)");

static bool acct;
module_param(acct, bool, 0444);
MODULE_PARM_DESC(acct, "Initial nf_conntrack_acct of each namespace (default: 0)");

static bool hooks_only;
module_param(hooks_only, bool, 0444);
MODULE_PARM_DESC(hooks_only, "Benchmark floor: the hooks run and return at once (default: 0)");

unsigned int rct_param_hashsize(void)
{
	return hashsize;
}

bool rct_param_acct(void)
{
	return acct;
}

bool rct_param_hooks_only(void)
{
	return hooks_only;
}

/* nfnetlink asks for these when a message reaches a subsystem nobody registered. */
MODULE_ALIAS_NFNL_SUBSYS(NFNL_SUBSYS_CTNETLINK);
MODULE_ALIAS_NFNL_SUBSYS(NFNL_SUBSYS_CTNETLINK_EXP);
