# Odoo Collections: the README's commands. Settings come from the environment (see README.md).
.PHONY: run test upgrade-check lint install update bench pot

run:       ## install what is missing, then serve Odoo with the demo database
	bash setup/run.sh

test:      ## fresh database, clean install, every test with pytest-odoo
	bash setup/test.sh

upgrade-check: ## install the previous release (b86a596) with demo data, run it, upgrade to this checkout: nothing lost
	bash setup/upgrade_check.sh

lint:      ## ruff and pylint-odoo on the addons
	bash setup/lint.sh

bench:     ## benchmark of the engine on generated data (100,000 invoices; see tests/bench/RESULTS.md)
	bash setup/bench.sh

install:   ## only install Odoo, its virtualenv and the system packages
	bash setup/install.sh --with-browser

update:    ## upgrade the addons in the demo database, then serve it
	UPDATE=1 bash setup/run.sh

pot:       ## export each addon's translation template, i18n/<addon>.pot
	bash setup/pot.sh
