.PHONY: run test unit functional lint sample-config sample-policy bench bench-quick

run:            ## install and start the all-in-one on 127.0.0.1:6385
	tools/run-all-in-one.sh

test:           ## install and run lint + all tests
	tools/run-tests.sh

unit:
	tools/venv.sh && .venv/bin/python -m pytest tests/unit -q -rs

functional:
	tools/venv.sh && tools/keystone-venv.sh && .venv/bin/python -m pytest tests/functional -q -rs -n 2 --dist loadfile

lint:
	tools/venv.sh && .venv/bin/ruff check anvil tests tools bench examples

sample-config:  ## regenerate etc/anvil/anvil.conf.sample
	tools/venv.sh && .venv/bin/oslo-config-generator --config-file tools/config-generator.conf

bench:          ## benchmark (issue 6): anvil vs this machine's floor, ~12 min; bench/results/
	tools/venv.sh && .venv/bin/python -m bench.run

bench-quick:    ## the same, 3 s per scenario and 1 repetition (~3 min)
	tools/venv.sh && .venv/bin/python -m bench.run --quick

sample-policy:  ## regenerate etc/anvil/policy.yaml.sample
	tools/venv.sh && .venv/bin/oslopolicy-sample-generator --namespace anvil --output-file etc/anvil/policy.yaml.sample
