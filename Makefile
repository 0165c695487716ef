# SPDX-License-Identifier: GPL-2.0
#
#   make              build rust_conntrack.ko against the debug test kernel (built if needed)
#   make KDIR=DIR     build against another Rust-enabled 6.12 kernel build tree
#   make check        run every test: userspace, KUnit and QEMU selftests
#   make run          boot the test kernel, load the module, drive traffic, show the table
#   make bench        benchmarks against nf_conntrack on the bench kernel
#   make profile      where a TCP round trip's instructions go, by function, under each tracker
#                     (WHAT=expiry: those of expiring a million connections)
#   make kselftest    the kernel's netfilter selftests under both trackers (T=, TRACKER=)
#   make stress       floods, churn, unload under traffic, faults, malformed packets (T=)
#   make install      install the module for KDIR's kernel, and the modprobe configuration
#   make CLIPPY=1     build with clippy's lints
#   make fmt          format the Rust sources

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
KDIR ?= $(shell $(ROOT)/scripts/kernel.sh debug)
KMAKE = $(MAKE) -C $(KDIR) M=$(ROOT) LLVM=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc CLIPPY_DRIVER=/usr/bin/clippy-driver \
	BINDGEN=$(or $(shell command -v bindgen),$(HOME)/.cargo/bin/bindgen)

.PHONY: all modules kunit clean check run bench profile kselftest stress install fmt

all modules:
	+$(KMAKE) $(if $(CLIPPY),CLIPPY=1) modules

install: modules
	+$(KMAKE) INSTALL_MOD_DIR=extra modules_install
	install -D -m 644 $(ROOT)/scripts/modprobe.d/rust_conntrack.conf $(DESTDIR)/etc/modprobe.d/rust_conntrack.conf

clean:
	+$(KMAKE) clean
	rm -f ct/sys/bindings_generated.rs

check:
	$(ROOT)/scripts/check.sh

run:
	$(ROOT)/scripts/run.sh

bench:
	$(ROOT)/scripts/bench.sh

profile:
	$(ROOT)/scripts/bench.sh profile $(WHAT)

kselftest:
	$(ROOT)/scripts/kselftest.sh

stress:
	$(ROOT)/scripts/stress.sh

fmt:
	rustfmt --config-path $(ROOT)/.rustfmt.toml $(ROOT)/rust_conntrack.rs $(ROOT)/ct/lib.rs
