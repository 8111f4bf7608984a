# Tests. `make test` is what CI runs (through ./make.sh test); its last line
# is "N passed, N failed, N skipped". Suites: tests/README.md.

TB := $(O)/tests
UNIT_CFLAGS := -std=gnu11 $(WARN) -O1 -g $(SAN) -I$(TOP)/src/lib -I$(TOP)/src/init -I$(TOP)/src/agent -I$(TOP)/src/verifier \
	-I$(HOSTROOT)/include $(PQ_INCLUDE)
UNIT_LIBS := -L$(HOSTROOT)/lib -lmbedcrypto -lcmocka
FUZZ_CFLAGS := -std=gnu11 -O1 -g -fsanitize=fuzzer,address,undefined -I$(TOP)/src/lib \
	-I$(TOP)/src/init -I$(TOP)/src/agent -I$(TOP)/src/verifier -I$(HOSTROOT)/include $(PQ_INCLUDE)
FUZZ_SECONDS ?= 15

# Which sources each unit test and fuzz harness exercises; whatever else of
# src/lib they call comes from the asan (tests) or fuzz (harnesses) archive.
test_config_SRCS := src/lib/config.c src/lib/url.c
test_eventlog_SRCS := src/lib/eventlog.c src/lib/digest.c
test_eventlog_LIBS := -lcrypto
test_scrub_SRCS := src/init/scrub.c
test_supervise_SRCS := src/init/supervise.c
fuzz_config_SRCS := src/lib/config.c src/lib/url.c
fuzz_eventlog_SRCS := src/lib/eventlog.c src/lib/digest.c

# Each module may describe its own test and fuzz sources in tests/unit/<name>.mk
# (test_<name>_SRCS relative to the top, test_<name>_EXTRA absolute, e.g.
# $(DEPS)/cjson/cJSON.c, test_<name>_LIBS placed before -lmbedcrypto; same for fuzz_<name>).
include $(sort $(wildcard $(TOP)/tests/unit/*.mk))

UNIT_TESTS := $(patsubst $(TOP)/tests/unit/%.c,%,$(wildcard $(TOP)/tests/unit/test_*.c))
FUZZERS := $(patsubst $(TOP)/tests/fuzz/%.c,%,$(wildcard $(TOP)/tests/fuzz/fuzz_*.c))

# The sources a test names are compiled into it; the rest of src/lib comes from
# the ASan archive.
$(TB)/unit/%: $(TOP)/tests/unit/%.c $(DEPS)/mbedtls-host.stamp $(DEPS)/zlib-host.stamp $(DEPS)/cjson.stamp \
		$(wildcard $(TOP)/src/*/*.[ch]) $(call lib,asan)
	mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -I$(DEPS)/cjson -o $@ $< $(addprefix $(TOP)/,$($*_SRCS)) $($*_EXTRA) \
		$(call lib,asan) -L$(HOSTROOT)/lib $($*_LIBS) $(UNIT_LIBS)

$(TB)/fuzz/%: $(TOP)/tests/fuzz/%.c $(DEPS)/mbedtls-host.stamp $(DEPS)/zlib-host.stamp $(DEPS)/cjson.stamp \
		$(wildcard $(TOP)/src/*/*.[ch]) $(call lib,fuzz)
	mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -I$(DEPS)/cjson -o $@ $< $(addprefix $(TOP)/,$($*_SRCS)) $($*_EXTRA) \
		$(call lib,fuzz) -L$(HOSTROOT)/lib $($*_LIBS) -lmbedcrypto

# A fuzz suite: the harness over its seed corpus plus FUZZ_SECONDS of new inputs.
$(TB)/fuzz/run-%: $(TB)/fuzz/%
	printf '#!/bin/sh\nset -e\nc=$$(mktemp -d)\ntrap "rm -rf $$c" EXIT\n[ -d %s ] && cp -r %s/. $$c/\n%s -max_total_time=%s -timeout=10 -rss_limit_mb=2048 $$c && echo "1 passed, 0 failed"\n' \
		'$(TOP)/tests/fuzz/corpus/$*' '$(TOP)/tests/fuzz/corpus/$*' '$<' '$(FUZZ_SECONDS)' >$@
	chmod +x $@

unit-tests: $(addprefix $(TB)/unit/,$(UNIT_TESTS)) $(HOSTBIN)/mkcpio
fuzzers: $(addprefix $(TB)/fuzz/,$(FUZZERS)) $(addprefix $(TB)/fuzz/run-,$(FUZZERS))

# Suites in the order they run; the image-level ones need the built image.
TEST_SUITES = $(addprefix $(TB)/unit/,$(UNIT_TESTS)) \
	$(TB)/suite-mkcpio $(TB)/suite-fetch $(TB)/suite-buildchecks \
	$(TB)/suite-eventlog-tpm2tools $(TB)/suite-eventlog-vectors $(TB)/suite-tpm-swtpm \
	$(TB)/suite-credential-swtpm $(TB)/suite-tpm-agent-swtpm $(TB)/suite-agent-swtpm \
	$(TB)/suite-verifier-swtpm $(TB)/suite-attacks-swtpm $(TB)/suite-verifier-pg \
	$(TB)/suite-attacks-pg $(TB)/suite-failover-pg $(TB)/suite-notices $(TB)/suite-notices-tsan $(TB)/suite-predict $(TB)/suite-coreboot-rom $(TB)/suite-tenant-hook \
	$(addprefix $(TB)/fuzz/run-,$(FUZZERS)) \
	$(TB)/suite-boot $(TB)/suite-boot-ovmf $(TB)/suite-boot-coreboot $(TB)/suite-residue \
	$(TB)/suite-reproducible

$(TB)/suite-%: $(TOP)/tests/build.mk
	mkdir -p $(@D)
	printf '#!/bin/sh\nexec %s\n' '$(SUITE_CMD_$*)' >$@ && chmod +x $@

SUITE_CMD_mkcpio = $(TOP)/tests/unit/test_mkcpio.sh $(HOSTBIN)/mkcpio
SUITE_CMD_fetch = $(TOP)/tests/unit/test_fetch.sh
SUITE_CMD_buildchecks = $(TOP)/tests/unit/test_buildchecks.sh
SUITE_CMD_eventlog-tpm2tools = $(TOP)/tests/unit/test_eventlog_tpm2tools.sh $(TB)/unit/test_eventlog
SUITE_CMD_eventlog-vectors = $(TOP)/tests/unit/test_eventlog_vectors.sh $(TB)/unit/test_eventlog
SUITE_CMD_tpm-swtpm = $(TOP)/tests/host/test_tpm_swtpm.sh $(TB)/host/tpm-measure
SUITE_CMD_credential-swtpm = $(TOP)/tests/host/test_credential_swtpm.sh $(O)
SUITE_CMD_tpm-agent-swtpm = $(TOP)/tests/host/test_tpm_agent_swtpm.sh $(TB)/host/tpm-agent-test
SUITE_CMD_agent-swtpm = $(TOP)/tests/host/test_agent_swtpm.sh $(TGT)/airlock-agent \
	$(TB)/host/kl-peer $(TB)/host/tpm-measure
SUITE_CMD_verifier-swtpm = $(TOP)/tests/host/test_verifier_swtpm.sh $(TB)/host/airlock-verifier-asan \
	$(TGT)/airlock-agent $(TB)/host/tpm-measure
SUITE_CMD_attacks-swtpm = $(TOP)/tests/host/test_attacks_swtpm.sh $(TB)/host/airlock-verifier-asan \
	$(TGT)/airlock-agent $(TB)/host/tpm-measure
# The same two suites with the verifier on PostgreSQL (a throwaway cluster per run).
SUITE_CMD_verifier-pg = $(TOP)/tests/host/test_verifier_pg.sh $(TOP)/tests/host/test_verifier_swtpm.sh \
	$(TB)/host/airlock-verifier-asan $(TGT)/airlock-agent $(TB)/host/tpm-measure
SUITE_CMD_attacks-pg = $(TOP)/tests/host/test_verifier_pg.sh $(TOP)/tests/host/test_attacks_swtpm.sh \
	$(TB)/host/airlock-verifier-asan $(TGT)/airlock-agent $(TB)/host/tpm-measure
# Three verifier instances on one PostgreSQL, one killed mid-run (bench_verifier --failover).
SUITE_CMD_failover-pg = $(TOP)/tests/host/with-pg.sh $(TB)/bench/bench_verifier --failover \
	$(TB)/host/airlock-verifier-asan 300 1 $(TB)/logs/failover.verifier.log
SUITE_CMD_notices = $(TB)/bench/bench_verifier --test $(TB)/host/airlock-verifier-asan 300 1 8 \
	$(TB)/logs/notices.verifier.log
SUITE_CMD_notices-tsan = $(TOP)/tests/host/test_notices_tsan.sh $(TB)/bench/bench_verifier \
	$(TB)/host/airlock-verifier-tsan $(TB)/logs/notices-tsan.verifier.log
SUITE_CMD_predict = $(TOP)/tests/unit/test_predict.sh $(TB)/host/airlock-verifier-asan $(OUT)
SUITE_CMD_boot = $(TOP)/tests/boot/test_boot.py --image $(OUT) --peer $(TB)/host/kl-peer \
	--verifier $(HOSTBIN)/airlock-verifier --tenant-kernel $(TB)/tenant/bzImage --logs $(TB)/logs/boot
SUITE_CMD_boot-ovmf = $(TOP)/tests/boot/test_boot_ovmf.py --image $(O)/qemu-ovmf \
	--verifier $(HOSTBIN)/airlock-verifier --tenant-kernel $(TB)/tenant/bzImage --logs $(TB)/logs/boot-ovmf
SUITE_CMD_tenant-hook = $(TOP)/tests/unit/test_tenant_hook.sh
SUITE_CMD_coreboot-rom = $(TOP)/tests/unit/test_coreboot_rom.sh $(TB)/host/airlock-verifier-asan $(OUT) \
	$(HOSTBIN)/cmdline-check
# Skipped (with a SKIPPED line) unless COREBOOT_ROM (environment or make variable)
# names a coreboot base ROM for q35.
export COREBOOT_ROM
SUITE_CMD_boot-coreboot = $(TOP)/tests/boot/test_boot_coreboot.py --image $(O)/qemu-coreboot \
	--verifier $(HOSTBIN)/airlock-verifier --tenant-kernel $(TB)/tenant/bzImage \
	--logs $(TB)/logs/boot-coreboot
SUITE_CMD_residue = $(TOP)/tests/boot/test_residue.py --image $(OUT) --fill $(TB)/fill.cpio.xz --logs $(TB)/logs/residue
SUITE_CMD_reproducible = $(TOP)/reproducible/check --quick

# The UEFI and coreboot boards are built too: the production-like paths (measured
# boot); the coreboot board's ROM only with COREBOOT_ROM.
HOST_SUITES := credential-swtpm tpm-agent-swtpm agent-swtpm verifier-swtpm attacks-swtpm verifier-pg \
	attacks-pg failover-pg notices notices-tsan
test: image unit-tests fuzzers $(TB)/host/tpm-measure $(TB)/host/tpm-agent-test \
		$(TB)/host/kl-peer $(TGT)/airlock-agent $(TB)/fill.cpio.xz $(HOSTBIN)/airlock-verifier \
		$(TB)/host/airlock-verifier-asan $(TB)/host/airlock-verifier-tsan $(TB)/bench/bench_verifier \
		$(call lib,asan) $(HOSTBIN)/cmdline-check \
		$(TB)/tenant/bzImage \
		$(patsubst %,$(TB)/suite-%,mkcpio fetch buildchecks eventlog-tpm2tools \
			eventlog-vectors tpm-swtpm $(HOST_SUITES) predict coreboot-rom tenant-hook boot boot-ovmf \
			boot-coreboot residue reproducible)
	$(MAKE) BOARD=qemu-ovmf image
	$(MAKE) BOARD=qemu-coreboot image
	TEST_LOGS=$(TB)/logs $(TOP)/tests/hermetic $(TOP)/tests/run $(TEST_SUITES)

bench: $(DEPS)/mbedtls-host.stamp
	mkdir -p $(TB)/bench
	$(HOSTCC) -std=gnu11 $(WARN) -O2 -I$(TOP)/src/init -o $(TB)/bench/bench_scrub \
		$(TOP)/tests/bench/bench_scrub.c $(TOP)/src/init/scrub.c
	$(TB)/bench/bench_scrub
	$(MAKE) $(call lib,host)
	$(HOSTCC) -std=gnu11 $(WARN) -O2 -I$(TOP)/src/lib -I$(HOSTROOT)/include -o $(TB)/bench/bench_quote \
		$(TOP)/tests/bench/bench_quote.c $(call lib,host) -L$(HOSTROOT)/lib -lmbedx509 -lmbedcrypto \
		-lcrypto
	$(TB)/bench/bench_quote $(TOP)/tests/vectors/quote
	$(MAKE) $(HOSTBIN)/airlock-verifier $(TB)/bench/bench_verifier
	$(TB)/bench/bench_verifier $(HOSTBIN)/airlock-verifier 1000 2 16 16
	$(TB)/bench/bench_verifier $(HOSTBIN)/airlock-verifier 5000 2 16 16
	# UEFI nodes: a real OVMF log replayed on every quote, against the runs above.
	$(TB)/bench/bench_verifier --fw-log $(TOP)/tests/vectors/ovmf-swtpm-sha1-sha256.bin \
		$(HOSTBIN)/airlock-verifier 2000 2 16 16
	$(TB)/bench/bench_verifier --fw-log $(TOP)/tests/vectors/ovmf-swtpm-sha1-sha256.bin \
		$(HOSTBIN)/airlock-verifier 5000 2 16 16
	# The same fleets on PostgreSQL (a throwaway cluster each): one instance, then two
	# sharing the nodes by leases, one on each core.
	PG_FSYNC=on $(TOP)/tests/host/with-pg.sh $(TB)/bench/bench_verifier $(HOSTBIN)/airlock-verifier 5000 2 16 16
	PG_FSYNC=on $(TOP)/tests/host/with-pg.sh $(TB)/bench/bench_verifier --instances 2 $(HOSTBIN)/airlock-verifier \
		5000 2 16 16
	PG_FSYNC=on $(TOP)/tests/host/with-pg.sh $(TB)/bench/bench_verifier --fw-log \
		$(TOP)/tests/vectors/ovmf-swtpm-sha1-sha256.bin $(HOSTBIN)/airlock-verifier 5000 2 16 16
	PG_FSYNC=on $(TOP)/tests/host/with-pg.sh $(TB)/bench/bench_verifier --instances 2 --fw-log \
		$(TOP)/tests/vectors/ovmf-swtpm-sha1-sha256.bin $(HOSTBIN)/airlock-verifier 5000 2 16 16
	$(TOP)/tests/bench/bench_registrar.py $(HOSTBIN)/airlock-verifier $(TOP)/tests/vectors/quote
	$(MAKE) $(TGT)/airlock-agent $(TB)/host/kl-peer $(TB)/host/tpm-measure
	$(TOP)/tests/bench/bench_agent.sh $(TGT)/airlock-agent $(TB)/host/kl-peer $(TB)/host/tpm-measure

# Simulated nodes over loopback: `make bench`'s fleet figures, and suite-notices.
# It writes the simulated nodes into a state directory with the verifier's own store.
$(TB)/bench/bench_verifier: $(TOP)/tests/bench/bench_verifier.c \
		$(addprefix $(O)/obj/host/verifier/,db.o store.o store_migrate.o vkey_file.o pending_v.o \
			ek_trust.o) \
		$(call lib,host) $(wildcard $(TOP)/src/verifier/*.h $(TOP)/src/lib/*.h)
	mkdir -p $(@D)
	$(HOSTCC) -std=gnu11 $(WARN) -O2 -I$(TOP)/src/lib -I$(TOP)/src/verifier -I$(HOSTROOT)/include \
		$(PQ_INCLUDE) -o $@ $(filter %.c %.o %.a,$^) -L$(HOSTROOT)/lib -lmbedx509 -lmbedcrypto -lcrypto -lsqlite3 -lpq

# The README's main job: build, then boot the image in QEMU with swtpm, with
# airlock-verifier as registrar, tenant and verifier: registration (EK by its
# certificate), mutual TLS, a policy predicted from this build, a payload built
# from its parts, V on the first good quote, kexec into a test tenant that opens
# its LUKS2 disk with the delivered key; no key in a capture of its traffic.
demo: image $(TB)/host/kl-peer $(HOSTBIN)/airlock-verifier $(TB)/tenant/bzImage
	$(TOP)/tests/hermetic $(TOP)/tests/boot/test_boot.py --image $(OUT) --peer $(TB)/host/kl-peer --only verifier-flow \
		--verifier $(HOSTBIN)/airlock-verifier --tenant-kernel $(TB)/tenant/bzImage --logs $(O)/demo
	@echo "demo: console log in $(O)/demo/boot.*/verifier-flow/node.console.log"

# The residue test's "previous tenant": /fill in an initramfs of its own.
$(TB)/fill.cpio.xz: $(TOP)/tests/boot/fill.c $(DEPS)/musl.stamp $(HOSTBIN)/mkcpio
	rm -rf $(TB)/fill-root && mkdir -p $(TB)/fill-root/proc
	$(MUSL_GCC) $(TARGET_CFLAGS) -o $(TB)/fill-root/fill $< $(TARGET_LDFLAGS)
	printf 'dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\n' >$(TB)/fill.spec
	$(HOSTBIN)/mkcpio -t 0 -s $(TB)/fill.spec -o $(TB)/fill.cpio $(TB)/fill-root
	xz --check=crc32 --threads=1 -c $(TB)/fill.cpio >$@.tmp && mv $@.tmp $@

# Host integration of the agent's TPM layer against swtpm.
$(TB)/host/tpm-agent-test: $(TOP)/tests/host/tpm_agent_test.c $(O)/obj/target/agent/tpm_agent.o \
		$(call lib,target) $(TOP)/src/agent/tpm_agent.h
	mkdir -p $(@D)
	$(MUSL_GCC) $(TARGET_CFLAGS) -I$(TOP)/src/agent -o $@ $(filter %.c %.o %.a,$^) \
		$(TARGET_LDFLAGS) $(TSS_LIBS) $(MBED_LIBS)

# Host integration of /init's measurement path against swtpm.
$(TB)/host/tpm-measure: $(TOP)/tests/host/tpm_measure.c $(call lib,target)
	mkdir -p $(@D)
	$(MUSL_GCC) $(TARGET_CFLAGS) -o $@ $^ $(TARGET_LDFLAGS) $(TSS_LIBS) $(MBED_LIBS)

# The Keylime side for the agent's host tests (registrar, tenant, verifier roles).
$(TB)/host/kl-peer: $(TOP)/tests/host/kl_peer.c $(call cjson,asan) $(call lib,asan) \
		$(wildcard $(TOP)/src/lib/*.h)
	mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -I$(DEPS)/cjson -o $@ $(filter %.c %.o %.a,$^) \
		-L$(HOSTROOT)/lib -lmbedtls -lmbedx509 -lmbedcrypto

# The verifier as the host integration test runs it: ASan and UBSan on.
$(TB)/host/airlock-verifier-asan: $(call objs,asan,verifier) $(call cjson,asan) $(call lib,asan)
	mkdir -p $(@D)
	$(call verifier_link,asan)

# The verifier under ThreadSanitizer (suite-notices-tsan): its threads share
# schedules and notice queues.
$(TB)/host/airlock-verifier-tsan: $(call objs,tsan,verifier) $(call cjson,tsan) $(call lib,tsan)
	mkdir -p $(@D)
	$(call verifier_link,tsan)

# The test tenant's kernel (tests/tenant/kernel.config): what the boot tests and
# the demo kexec into; no embedded initramfs (the payload carries the initrd).
TENANT_KOBJ := $(TB)/tenant/kernel
TENANT_KCONFIG := $(TOP)/kernel-config/base.config $(TOP)/tests/tenant/kernel.config
# Without an embedded initramfs the kernel has no INITRAMFS_COMPRESSION_* choice.
TENANT_KFRAGS := $(TENANT_KOBJ)/base.config $(TOP)/tests/tenant/kernel.config
TENANT_KMAKE := $(MAKE) -C $(KSRC) O=$(TENANT_KOBJ) ARCH=x86_64 \
	KBUILD_BUILD_TIMESTAMP='@$(SOURCE_DATE_EPOCH)' KBUILD_BUILD_USER=airlock \
	KBUILD_BUILD_HOST=airlock KBUILD_BUILD_VERSION=1 LOCALVERSION=

$(TENANT_KOBJ)/.config: $(DEPS)/linux-src.stamp $(TENANT_KCONFIG)
	mkdir -p $(TENANT_KOBJ)
	grep -v '^CONFIG_INITRAMFS_COMPRESSION' $(TOP)/kernel-config/base.config >$(TENANT_KOBJ)/base.config
	KCONFIG_ALLCONFIG=/dev/null $(TENANT_KMAKE) -s allnoconfig
	cd $(KSRC) && scripts/kconfig/merge_config.sh -m -O $(TENANT_KOBJ) $(TENANT_KOBJ)/.config \
		$(TENANT_KFRAGS) >$(TENANT_KOBJ)/merge.log 2>&1 || { cat $(TENANT_KOBJ)/merge.log; exit 1; }
	$(TENANT_KMAKE) -s olddefconfig
	$(TOP)/reproducible/check-kconfig $@ $(TENANT_KFRAGS)

$(TB)/tenant/bzImage: $(TENANT_KOBJ)/.config
	$(TENANT_KMAKE) -j$(NPROC) bzImage >$(TENANT_KOBJ)/build.log 2>&1 \
		|| { tail -40 $(TENANT_KOBJ)/build.log; exit 1; }
	cp $(TENANT_KOBJ)/arch/x86/boot/bzImage $@.tmp && mv $@.tmp $@
