# One command to run, one to test. Both set up what is missing first.
.PHONY: run test setup fmt bench messages

run:
	scripts/run.sh

test:
	scripts/test.sh

setup:
	scripts/setup.sh

fmt:
	scripts/fmt.sh

bench:
	scripts/bench.sh

# After changing user-facing strings: update the catalogs, translate, then compile.
messages:
	scripts/messages.sh
