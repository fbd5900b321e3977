#!/usr/bin/env bash
# Lint the addons with ruff (OCA 18.0 settings, pyproject.toml) and pylint-odoo (.pylintrc).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$REPO_DIR/setup/install.sh"
if ! "$PYTHON" -m pip show -q ruff pylint-odoo >/dev/null 2>&1 \
        || [ "$(cat "$STAMP_DIR/lint" 2>/dev/null)" != "$(sha256sum <"$REPO_DIR/requirements-lint.txt")" ]; then
    step "Installing the linters"
    "$PYTHON" -m pip install -q --disable-pip-version-check -r "$REPO_DIR/requirements-lint.txt" \
        || die "Could not install the linters from requirements-lint.txt."
    sha256sum <"$REPO_DIR/requirements-lint.txt" >"$STAMP_DIR/lint"
fi

cd "$REPO_DIR"
addons=(${COLLECTIONS_MODULES//,/ })
step "ruff"
"$VENV_DIR/bin/ruff" check --no-fix . && "$VENV_DIR/bin/ruff" format --check .
step "pylint-odoo"
# missing-readme: the readme/ fragments document each addon (see .pylintrc).
# consider-merging-classes-inherited: each feature (engine, promises, plans, disputes,
# worklist) extends the case in a file of its own, to keep files small.
"$VENV_DIR/bin/pylint" --rcfile=.pylintrc --disable=missing-readme,consider-merging-classes-inherited "${addons[@]}"
info "clean"
