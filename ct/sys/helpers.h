/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C helpers for rust_conntrack: static inline functions and macros of the kernel, made callable
 * from Rust. Each one is a direct wrapper; the Rust side documents the rules of use.
 */
#ifndef RUST_CONNTRACK_HELPERS_H
#define RUST_CONNTRACK_HELPERS_H

#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <linux/percpu.h>
#include <linux/refcount.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

void rct_spin_lock_bh(spinlock_t *lock);
void rct_spin_lock_bh_nested(spinlock_t *lock);
void rct_spin_unlock_bh(spinlock_t *lock);

void rct_rcu_read_lock(void);
void rct_rcu_read_unlock(void);

void *rct_net_generic(const struct net *net, unsigned int id);
void *rct_seq_pde_data(struct seq_file *seq);
struct proc_dir_entry *rct_net_proc(const struct net *net, bool stat);
bool rct_net_is_init(const struct net *net);
void rct_proc_set_netns_root(struct proc_dir_entry *pde, const struct net *net);
struct net *rct_init_net(void);

struct kmem_cache *rct_kmem_cache_create(const char *name, unsigned int size);
void *rct_kmem_cache_alloc(struct kmem_cache *cache, gfp_t gfp);

void rct_cond_resched(void);
void rct_init_delayed_work(struct delayed_work *work, work_func_t func);
bool rct_queue_delayed_work(struct delayed_work *work, unsigned long delay);
bool rct_mod_delayed_work(struct delayed_work *work, unsigned long delay);

void __percpu *rct_alloc_percpu(size_t size, size_t align);
void *rct_per_cpu_ptr(void __percpu *ptr, int cpu);
void rct_this_cpu_inc_at(void __percpu *base, size_t offset);
int rct_next_possible_cpu(int cpu);
int rct_smp_processor_id(void);

int rct_ct_hook_claim(const struct nf_ct_hook *hook);
void rct_ct_hook_release(const struct nf_ct_hook *hook);

void rct_skb_set_nfct(struct sk_buff *skb, unsigned long nfct);
struct net *rct_skb_dev_net(const struct sk_buff *skb);
void rct_log_invalid(const struct nf_hook_state *state, struct sk_buff *skb, u8 proto,
		     const char *msg);
unsigned long rct_totalram_pages(void);

struct sk_buff *rct_skb_from(const void *data, unsigned int len);
struct sk_buff *rct_skb_from_paged(const void *data, unsigned int len, unsigned int linear);
void rct_skb_free(struct sk_buff *skb);

u32 rct_netlink_portid(const struct sk_buff *skb);
struct net *rct_skb_sock_net(const struct sk_buff *skb);
int rct_netlink_dump_start(struct sock *ssk, struct sk_buff *skb, const struct nlmsghdr *nlh,
			   struct netlink_dump_control *control);
unsigned int rct_skb_tailroom(const struct sk_buff *skb);
struct sk_buff *rct_alloc_skb(unsigned int size, gfp_t gfp);
u64 rct_ktime_get_real_ns(void);

unsigned int rct_param_hashsize(void);
bool rct_param_acct(void);
bool rct_param_hooks_only(void);

#endif
