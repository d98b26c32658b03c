# Palisade quick start: `make run` (build and serve on SQLite + the mock provider) and `make test`
# (install test tools, run every test). Both install what they need first (see .ci/setup.sh).
.PHONY: run test site

run:
	bash .ci/setup.sh
	bash .ci/build-site.sh
	cargo build -p server
	# Local plain-HTTP use: the session cookie cannot be `Secure` without TLS.
	PALISADE_SERVER_SECURE_COOKIES=$${PALISADE_SERVER_SECURE_COOKIES:-false} ./target/debug/palisade serve

test:
	bash .ci/setup.sh --test
	bash .ci/test.sh

site:
	bash .ci/build-site.sh
