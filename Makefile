# its-log: `make` builds build/itslog, `make run` starts a local instance, `make test` runs
# every test. Each of them installs the Debian packages it needs first (scripts/install-deps.sh).

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
PORT     ?= 8080
CXX      ?= g++
FUZZ_CXX ?= clang++
FUZZ_SECONDS ?= 10
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)

PKGS     := fcgi simdjson yaml-cpp sqlite3 libcurl libcrypto
# libcurl is not linked: src/net/curl_library.cc loads it when S3 is first used.
LINK_PKGS := fcgi simdjson yaml-cpp sqlite3 libcrypto
WARN     := -Wall -Wextra -Werror -Wshadow
CXXSTD   := -std=c++20
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(LINK_PKGS) 2>/dev/null) -lpthread -ldl
GTEST_LIBS = $(shell pkg-config --libs gtest gmock 2>/dev/null) -lpthread

LIB_SRCS  := $(shell find src -name '*.cc' ! -name main.cc | sort)
UNIT_SRCS := $(shell find tests/unit tests/lib -name '*.cc' 2>/dev/null | sort)
FUZZ_SRCS := $(wildcard tests/fuzz/*_fuzz.cc)
FMT_FILES := $(shell find src tests -name '*.cc' -o -name '*.h' | sort)

REL_DIR  := $(BUILD)/release
ASAN_DIR := $(BUILD)/asan
FUZZ_DIR := $(BUILD)/fuzz

REL_FLAGS  := $(CXXSTD) $(WARN) -O2 -g -DNDEBUG -Isrc
ASAN_FLAGS := $(CXXSTD) $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined -Isrc -Itests
FUZZ_FLAGS := $(CXXSTD) $(WARN) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -Isrc

REL_OBJS  := $(LIB_SRCS:%.cc=$(REL_DIR)/%.o)
ASAN_OBJS := $(LIB_SRCS:%.cc=$(ASAN_DIR)/%.o)
UNIT_OBJS := $(UNIT_SRCS:%.cc=$(ASAN_DIR)/%.o)
FUZZ_OBJS := $(LIB_SRCS:%.cc=$(FUZZ_DIR)/%.o)
FUZZERS   := $(FUZZ_SRCS:tests/fuzz/%.cc=$(FUZZ_DIR)/bin/%)

.PHONY: all deps build run test unit fuzz-smoke fuzz integration format format-check install \
        clean bench web docs deb
all: deps
	@$(MAKE) --no-print-directory -j$(JOBS) build web

deps:
	@scripts/install-deps.sh

build: $(BUILD)/itslog

$(BUILD)/itslog: $(REL_DIR)/src/main.o $(REL_DIR)/libitslog.a
	$(CXX) -o $@ $^ $(PKG_LIBS)

# The man pages and the bash completion, generated from the command table and the config keys
# (src/docgen/). The templates and the units name the default PREFIX, /usr/local; `make
# install` rewrites those paths for its PREFIX.
DOCGEN    := $(BUILD)/itslog-docgen
MAN_PAGES := $(BUILD)/man/itslog.1 $(BUILD)/man/itslog.yaml.5
COMPLETION := $(BUILD)/completion/itslog

$(DOCGEN): $(REL_DIR)/src/docgen/main.o $(REL_DIR)/libitslog.a
	$(CXX) -o $@ $^ $(PKG_LIBS)

$(BUILD)/man/%: man/%.in $(DOCGEN)
	@mkdir -p $(dir $@)
	$(DOCGEN) man $< >$@.tmp && mv $@.tmp $@

$(COMPLETION): $(DOCGEN)
	@mkdir -p $(dir $@)
	$(DOCGEN) bash-completion >$@.tmp && mv $@.tmp $@

docs: $(MAN_PAGES) $(COMPLETION)

$(REL_DIR)/libitslog.a: $(REL_OBJS)
	@rm -f $@
	ar rcs $@ $^

# Every object is stamped with the time its compile started, not ended: a header edited while
# the compiler ran (an editor saving mid-build) leaves the object out of date, so the next
# make compiles it again instead of linking objects that disagree on a struct's layout.
STAMP_START = @mkdir -p $(dir $@) && touch $@.start
STAMP_END   = @touch -r $@.start $@ && rm -f $@.start

$(REL_DIR)/%.o: %.cc
	$(STAMP_START)
	$(CXX) $(REL_FLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
	$(STAMP_END)

$(ASAN_DIR)/libitslog.a: $(ASAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(ASAN_DIR)/%.o: %.cc
	$(STAMP_START)
	$(CXX) $(ASAN_FLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
	$(STAMP_END)

$(ASAN_DIR)/unit_tests: $(UNIT_OBJS) $(ASAN_DIR)/libitslog.a
	$(CXX) $(ASAN_FLAGS) -o $@ $(UNIT_OBJS) $(ASAN_DIR)/libitslog.a $(PKG_LIBS) $(GTEST_LIBS) -lgtest_main

$(FUZZ_DIR)/%.o: %.cc
	$(STAMP_START)
	$(FUZZ_CXX) $(FUZZ_FLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
	$(STAMP_END)

$(FUZZ_DIR)/libitslog.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/bin/%: tests/fuzz/%.cc $(FUZZ_DIR)/libitslog.a
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< $(FUZZ_DIR)/libitslog.a $(PKG_LIBS)

# The dashboard (web/): static files served at /its-log/ui/, with uPlot from web/node_modules
# (npm ci, pinned by web/package-lock.json) copied in. Generated into $(BUILD)/web.
WEB_DIR   := $(BUILD)/web
WEB_SRCS  := web/index.html web/style.css web/favicon.svg $(sort $(wildcard web/js/*.js))
UPLOT_DIR := web/node_modules/uplot
web: $(WEB_DIR)/index.html

$(WEB_DIR)/index.html: $(WEB_SRCS) web/package-lock.json
	@scripts/install-web-deps.sh
	@rm -rf $(WEB_DIR) && mkdir -p $(WEB_DIR)/js
	cp $(filter-out web/js/%,$(WEB_SRCS)) $(UPLOT_DIR)/dist/uPlot.iife.min.js \
	   $(UPLOT_DIR)/dist/uPlot.min.css $(WEB_DIR)/
	cp $(UPLOT_DIR)/LICENSE $(WEB_DIR)/uPlot.LICENSE
	cp $(filter web/js/%,$(WEB_SRCS)) $(WEB_DIR)/js/

unit: $(ASAN_DIR)/unit_tests
fuzzers: $(FUZZERS)

# Everything: unit tests under ASan/UBSan, a short run of every fuzzer, the integration tests
# against real nginx and lighttpd. Ends with one line "N passed, M failed".
test: deps
	@scripts/install-s3-test-deps.sh
	@scripts/install-web-deps.sh --tests
	@$(MAKE) --no-print-directory -j$(JOBS) format-check build unit fuzzers web
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run_all.sh

# Longer fuzzing: FUZZ_SECONDS per target (default 300 here).
fuzz: deps
	@$(MAKE) --no-print-directory -j$(JOBS) fuzzers
	@for f in $(FUZZERS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$(basename $$f); \
	  $$f -max_total_time=$${FUZZ_LONG_SECONDS:-300} $(FUZZ_DIR)/corpus/$$(basename $$f) \
	      tests/fuzz/corpus/$$(basename $$f) || exit 1; \
	done

run: all
	@BUILD=$(BUILD) PORT=$(PORT) scripts/run-local.sh

bench: deps
	@BUILD=$(BUILD) scripts/bench.sh

format:
	clang-format -i $(FMT_FILES)

format-check:
	@clang-format --dry-run --Werror $(FMT_FILES)

SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
INSTALL_PATHS = sed -e 's|/usr/local/bin/|$(PREFIX)/bin/|g' \
                    -e 's|/usr/local/share/|$(PREFIX)/share/|g' \
                    -e 's|/usr/local/lib/systemd/system|$(SYSTEMD_UNIT_DIR)|g' \
                    -e 's|/usr/share/itslog/|$(PREFIX)/share/itslog/|g'

install: build web docs
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/itslog \
	           $(DESTDIR)$(PREFIX)/share/itslog/web/js \
	           $(DESTDIR)/etc/itslog $(DESTDIR)$(SYSTEMD_UNIT_DIR) \
	           $(DESTDIR)$(PREFIX)/share/itslog/nginx $(DESTDIR)$(PREFIX)/share/itslog/lighttpd \
	           $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
	           $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0755 $(BUILD)/itslog $(DESTDIR)$(PREFIX)/bin/itslog
	for f in systemd/*.service systemd/*.socket systemd/*.timer; do \
	  $(INSTALL_PATHS) $$f >$(DESTDIR)$(SYSTEMD_UNIT_DIR)/$${f#systemd/} && \
	  chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/$${f#systemd/} || exit 1; \
	done
	$(INSTALL_PATHS) $(BUILD)/man/itslog.1 >$(DESTDIR)$(PREFIX)/share/man/man1/itslog.1
	$(INSTALL_PATHS) $(BUILD)/man/itslog.yaml.5 >$(DESTDIR)$(PREFIX)/share/man/man5/itslog.yaml.5
	chmod 0644 $(DESTDIR)$(PREFIX)/share/man/man1/itslog.1 \
	           $(DESTDIR)$(PREFIX)/share/man/man5/itslog.yaml.5
	install -m 0644 $(COMPLETION) $(DESTDIR)$(PREFIX)/share/bash-completion/completions/itslog
	for f in nginx/itslog.conf lighttpd/itslog.conf; do \
	  $(INSTALL_PATHS) $$f >$(DESTDIR)$(PREFIX)/share/itslog/$$f && \
	  chmod 0644 $(DESTDIR)$(PREFIX)/share/itslog/$$f || exit 1; \
	done
	install -m 0644 README.md docs/*.md docs/openapi.yaml $(DESTDIR)$(PREFIX)/share/doc/itslog/
	install -m 0644 $(filter-out $(WEB_DIR)/js,$(wildcard $(WEB_DIR)/*)) \
	           $(DESTDIR)$(PREFIX)/share/itslog/web/
	install -m 0644 $(WEB_DIR)/js/*.js $(DESTDIR)$(PREFIX)/share/itslog/web/js/
	install -m 0644 etc/itslog.yaml $(DESTDIR)$(PREFIX)/share/doc/itslog/itslog.yaml.example
	test -e $(DESTDIR)/etc/itslog/itslog.yaml || \
	  install -m 0640 etc/itslog.yaml $(DESTDIR)/etc/itslog/itslog.yaml

# A Debian package, build/itslog_<version>_<arch>.deb, made by dpkg-buildpackage from debian/
# in a copy under build/deb/ (its changelog carries the version of src/core/version.h). It
# reuses the release build: debian/rules runs `make build web docs install` here.
VERSION  = $(shell sed -n 's/.*kVersion\[\] = "\(.*\)";.*/\1/p' src/core/version.h)
DEB_TREE = $(BUILD)/deb/itslog-$(VERSION)

deb: deps
	@test -n "$(VERSION)" || { echo "no version in src/core/version.h" >&2; exit 1; }
	@$(MAKE) --no-print-directory -j$(JOBS) build web docs
	rm -rf $(BUILD)/deb && mkdir -p $(DEB_TREE)
	cp -a debian $(DEB_TREE)/
	scripts/deb-changelog.sh $(VERSION) >$(DEB_TREE)/debian/changelog
	cd $(DEB_TREE) && ITSLOG_SRC=$(CURDIR) ITSLOG_BUILD=$(abspath $(BUILD)) \
	  dpkg-buildpackage -b -uc -us
	rm -f $(BUILD)/itslog_*.deb
	cp $(BUILD)/deb/itslog_$(VERSION)_*.deb $(BUILD)/

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
