#!/usr/bin/env bash
# ctest's e2e.NAME.pg (tests/CMakeLists.txt): the PostgreSQL pass of one e2e
# module. Exits 77, which ctest reports as skipped, when $METER_TEST_BACKENDS
# does not name postgresql or when the module has no test on the `meter`
# fixture (pytest's 5: nothing collected for this pass).
#
#   pg_pass.sh PYTHON MODULE_FILE
python=$1 file=$2
case ",${METER_TEST_BACKENDS:-sqlite}," in *,postgresql,*) ;; *) exit 77 ;; esac
"$python" -m pytest -q -p no:cacheprovider "$file"
rc=$?
[ "$rc" -eq 5 ] && exit 77
exit "$rc"
