# iocguard — developer entry points. `make test` is what CI runs.
CARGO ?= cargo
BIN := target/release/iocguard

.PHONY: build release test unit lint fmt fmt-check bench fuzz clean demo

build:
	$(CARGO) build --locked

release:
	$(CARGO) build --locked --release

# Formatting and lint gates, then unit + integration tests: tests/run.sh
# runs the ignored ones (root, nft, dnsmasq, minisign…) where their
# requirements are met, reports the rest as skipped; under CI=true they
# must run.
test: fmt-check lint
	CARGO="$(CARGO)" bash tests/run.sh

# The whole campaign in network namespaces, narrated (root; installs its
# Debian packages if missing). DEMO_ARGS=--keep leaves the lab up.
demo:
	bash demo/run.sh $(DEMO_ARGS)

unit:
	$(CARGO) test --locked --lib

lint:
	$(CARGO) clippy --locked --all-targets -- -D warnings

fmt:
	$(CARGO) fmt

fmt-check:
	$(CARGO) fmt --check

bench:
	bash benches/run.sh

# Runs each fuzz target for FUZZ_SECONDS (nightly + cargo-fuzz).
FUZZ_SECONDS ?= 60
fuzz:
	bash fuzz/run.sh $(FUZZ_SECONDS)

clean:
	$(CARGO) clean

# --- Cross builds and the OpenWrt package (cross/, openwrt/) ---------------
# make cross TARGET=armv7-unknown-linux-musleabihf   one static stripped binary
# make cross-all                                     the three router targets
# make cross TARGET=mipsel-unknown-linux-musl        soft-float ramips; mips-… for ath79 (cross/README.md)
# make test-aarch64     unit tests + release smoke run under qemu-aarch64
# make size             binary sizes and per-crate breakdown (cargo-bloat)
# make ipk ARCH=aarch64_generic                      .ipk without the SDK (opkg: 23.05, 24.10)
# make apk ARCH=aarch64_generic                      .apk without the SDK (apk-tools 3: 25.12+)
TARGET ?= aarch64-unknown-linux-musl
CROSS_TARGETS := aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf x86_64-unknown-linux-musl
ARCH ?= aarch64_generic
IPK_ARCHS := aarch64_generic arm_cortex-a7_neon-vfpv4 x86_64

.PHONY: cross cross-all test-aarch64 size ipk ipk-all apk apk-all dist

cross:
	bash cross/build.sh $(TARGET)

cross-all:
	for t in $(CROSS_TARGETS); do bash cross/build.sh $$t || exit 1; done

test-aarch64:
	bash cross/test-aarch64.sh

size:
	bash cross/size.sh

# The LuCI app (Architecture: all) is built with every package build.
ipk: luci
	bash openwrt/build-ipk.sh --arch $(ARCH)

ipk-all:
	for a in $(IPK_ARCHS); do bash openwrt/build-ipk.sh --arch $$a || exit 1; done

# The source tarball for the OpenWrt feed (PKG_SOURCE) and its PKG_HASH.
dist:
	bash openwrt/dist.sh

# apk-tools 3 is built from ../shared/apk-tools on first use (or APK=path).
apk: luci
	bash openwrt/build-apk.sh --arch $(ARCH)

apk-all:
	for a in $(IPK_ARCHS); do bash openwrt/build-apk.sh --arch $$a || exit 1; done

# --- luci-app-iocguard (openwrt/luci-app-iocguard/) -------------------------
# make luci      dist/luci-app-iocguard_VERSION_all.ipk and .apk (apk-tools 3
#                from APK=path or built from ../shared/apk-tools on first use)
.PHONY: luci
luci:
	bash openwrt/luci-app-iocguard/build.sh --out dist
