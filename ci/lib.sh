# shellcheck shell=bash
# Helpers shared by the ci/ scripts; sourced, never run.

CO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CO_JOBS=${CO_JOBS:-$(nproc 2>/dev/null || echo 2)}

# Debian's python3: python3-unicorn, python3-pytest and python3-pefile are
# installed for it, not for whatever python3 comes first on PATH.
if [ -x /usr/bin/python3 ]; then
	CO_PYTHON=/usr/bin/python3
else
	CO_PYTHON=python3
fi

co_log() {
	printf '==> %s\n' "$*"
}

# co_configure DIR BUILD_TYPE [cmake args...]
# Ninja for a fresh directory; an existing one keeps its generator, since
# CMake refuses to switch generators in place.
co_configure() {
	local dir=$1 type=$2
	local gen=()

	shift 2
	if [ ! -f "$dir/CMakeCache.txt" ] && command -v ninja >/dev/null; then
		gen=(-G Ninja)
	fi
	cmake -S "$CO_ROOT" -B "$dir" "${gen[@]}" -DCMAKE_BUILD_TYPE="$type" "$@"
}

# co_build DIR [--keep-going]: build everything in a configured directory.
# --keep-going builds all that can be built past a failure (the result is
# still a failure), so one broken test does not hide the others' results.
co_build() {
	local dir=$1 keep=()

	if [ "${2:-}" = --keep-going ]; then
		case $(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$dir/CMakeCache.txt") in
		Ninja)	keep=(-- -k 0) ;;
		*Makefiles) keep=(-- -k) ;;
		esac
	fi
	cmake --build "$dir" -j "$CO_JOBS" "${keep[@]}"
}

# True if tests/unit (or another CTest source) has any test program source,
# i.e. a CTest run that finds no tests means something is broken.
co_have_unit_tests() {
	compgen -G "$CO_ROOT/tests/unit/test_*.c" >/dev/null
}

# co_stop_time SECONDS: a --stop-time value for ctest, SECONDS from now.
# ctest then shortens every test's timeout to what is left and still
# prints its summary, so one hung test cannot eat the whole CI budget.
co_stop_time() {
	date -d "+$1 seconds" +%H:%M:%S
}

# co_ctest_total DIR: how many tests are registered in DIR.
co_ctest_total() {
	ctest --test-dir "$1" -N 2>/dev/null | sed -nE 's/^Total Tests: ([0-9]+)/\1/p'
}
