# shellcheck shell=bash
# Helpers shared by scripts/test and scripts/demo (and free for scripts/bench to use):
# find a Python >= 3.11, make a virtual environment, install gort into it.
#
#   source scripts/lib.sh
#   gort_find_python            # sets GORT_PY (absolute path) or exits with a message
#   gort_make_venv DIR          # sets GORT_VENV_PY; (re)creates DIR when needed
#   gort_install EXTRAS         # pip install -e ".[EXTRAS]" into that venv ("" = no extras)
#
# Environment:
#   PYTHON            interpreter to use (default: python3, else python3.13/3.12/3.11)
#   PIP_ONLY_BINARY   honoured by pip itself; set to :all: automatically on a
#                     free-threaded interpreter unless already set
#   GORT_REINSTALL=1  run pip even if the venv is already up to date

GORT_MIN_PY=(3 11)

gort_die() {
    printf '%s: error: %s\n' "${GORT_SCRIPT:-gort}" "$*" >&2
    exit 2
}

gort_note() {
    printf '%s: %s\n' "${GORT_SCRIPT:-gort}" "$*" >&2
}

# Prints "MAJOR MINOR FT" for interpreter $1 (FT is 1 on a free-threaded build), or fails.
_gort_py_info() {
    "$1" -c 'import sys, sysconfig; print(sys.version_info[0], sys.version_info[1], int(bool(sysconfig.get_config_var("Py_GIL_DISABLED"))))' 2>/dev/null
}

# "3 12 1" -> "3.12t" style: MAJOR.MINOR, with a t for a free-threaded build.
_gort_ver() {
    local major minor ft
    read -r major minor ft <<<"$1"
    printf '%s.%s%s' "$major" "$minor" "$([[ "$ft" == 1 ]] && echo t)"
}

_gort_py_ok() {
    local info major minor
    info=$(_gort_py_info "$1") || return 1
    read -r major minor _ <<<"$info"
    (( major > GORT_MIN_PY[0] || (major == GORT_MIN_PY[0] && minor >= GORT_MIN_PY[1]) ))
}

gort_find_python() {
    local cand path info tried=()
    if [[ -n "${PYTHON:-}" ]]; then
        path=$(command -v -- "$PYTHON" 2>/dev/null) \
            || gort_die "PYTHON=$PYTHON: no such interpreter. Set PYTHON to a Python ${GORT_MIN_PY[0]}.${GORT_MIN_PY[1]} or newer."
        if ! info=$(_gort_py_info "$path"); then
            gort_die "PYTHON=$PYTHON ($path) does not run as a Python interpreter: $("$path" -c pass 2>&1 </dev/null | head -n 3)"
        fi
        _gort_py_ok "$path" \
            || gort_die "PYTHON=$PYTHON is Python $(_gort_ver "$info"); gort needs ${GORT_MIN_PY[0]}.${GORT_MIN_PY[1]} or newer."
        GORT_PY=$path
        return 0
    fi
    for cand in python3 python3.14 python3.13 python3.12 python3.11 python; do
        path=$(command -v -- "$cand" 2>/dev/null) || continue
        if info=$(_gort_py_info "$path"); then
            tried+=("$cand ($(_gort_ver "$info"))")
            if _gort_py_ok "$path"; then
                GORT_PY=$path
                if (( ${#tried[@]} > 1 )); then
                    gort_note "using $cand; skipped ${tried[*]:0:${#tried[@]}-1} (older than ${GORT_MIN_PY[0]}.${GORT_MIN_PY[1]})"
                fi
                return 0
            fi
        fi
    done
    if (( ${#tried[@]} == 0 )); then
        gort_die "no Python found (looked for python3, python3.1x, python). Install Python ${GORT_MIN_PY[0]}.${GORT_MIN_PY[1]} or newer (e.g. 'apt-get install python3 python3-venv'), or set PYTHON=/path/to/python."
    fi
    gort_die "gort needs Python ${GORT_MIN_PY[0]}.${GORT_MIN_PY[1]} or newer; found only: ${tried[*]}. Install a newer one or set PYTHON=/path/to/python."
}

# gort_make_venv DIR: makes sure DIR is a working venv built from $GORT_PY (same version
# and same GIL / free-threaded flavour); creates or recreates it otherwise.
gort_make_venv() {
    local dir=$1 want have
    want=$(_gort_py_info "$GORT_PY")
    if [[ -x "$dir/bin/python" ]]; then
        have=$(_gort_py_info "$dir/bin/python" || true)
        if [[ "$have" != "$want" ]]; then
            if [[ -z "$have" ]]; then
                gort_note "$dir has a broken interpreter (moved, or made by a Python that is gone): recreating it"
            else
                gort_note "$dir was made by Python $(_gort_ver "$have"), not Python $(_gort_ver "$want"): recreating it"
            fi
            rm -rf -- "$dir"
        fi
    elif [[ -e "$dir" ]]; then
        gort_note "$dir is not a working virtual environment: recreating it"
        rm -rf -- "$dir"
    fi
    if [[ ! -x "$dir/bin/python" ]]; then
        gort_note "creating $dir with $GORT_PY ($("$GORT_PY" -c 'import sys; print(sys.version.split()[0] + ("t" if not getattr(sys, "_is_gil_enabled", lambda: True)() else ""))'))"
        if ! "$GORT_PY" -m venv "$dir"; then
            rm -rf -- "$dir"
            gort_die "could not create a virtual environment with $GORT_PY. On Debian/Ubuntu: apt-get install python3-venv"
        fi
        "$dir/bin/python" -m pip --version >/dev/null 2>&1 \
            || gort_die "$dir has no pip (the interpreter's ensurepip is missing). On Debian/Ubuntu: apt-get install python3-venv"
    fi
    GORT_VENV=$dir
    GORT_VENV_PY=$(cd -- "$dir" && pwd)/bin/python
    # pip: a free-threaded interpreter takes wheels only (some sdists cannot build there).
    if [[ "${want##* }" == 1 && -z "${PIP_ONLY_BINARY:-}" ]]; then
        export PIP_ONLY_BINARY=:all:
    fi
}

# gort_install EXTRAS: pip install -e ".[EXTRAS]" unless the venv already has exactly this
# pyproject.toml installed with these extras (or a superset of them).
gort_install() {
    local extras=$1 spec=. stamp sum e need=0
    [[ -n "$extras" ]] && spec=".[$extras]"
    read -r sum _ < <(cksum <pyproject.toml)
    stamp=$GORT_VENV/.gort-installed
    if [[ "${GORT_REINSTALL:-0}" != 0 || ! -f "$stamp" || "$(head -n1 "$stamp")" != "$sum" ]]; then
        need=1
    else
        for e in ${extras//,/ }; do
            grep -qxF -- "$e" <(tail -n +2 "$stamp") || need=1
        done
    fi
    # The editable install must still point at this tree (e.g. a venv copied elsewhere).
    if (( ! need )) && ! (cd / && GORT_TREE=$OLDPWD "$GORT_VENV_PY" -c '
import importlib.util, os, sys
s = importlib.util.find_spec("gort")
locs = list(s.submodule_search_locations or []) if s else []
want = os.path.realpath(os.path.join(os.environ["GORT_TREE"], "gort"))
sys.exit(not any(os.path.realpath(p) == want for p in locs))' 2>/dev/null); then
        need=1
    fi
    if (( need )); then
        gort_note "installing gort$([[ -n "$extras" ]] && echo "[$extras]") into $GORT_VENV${PIP_ONLY_BINARY:+ (PIP_ONLY_BINARY=$PIP_ONLY_BINARY)}"
        if ! "$GORT_VENV_PY" -m pip install --quiet --disable-pip-version-check -e "$spec"; then
            rm -f -- "$stamp"
            gort_die "pip install -e '$spec' failed (see pip's message above)"
        fi
        { echo "$sum"; for e in ${extras//,/ }; do echo "$e"; done
          [[ -f "$stamp" && "$(head -n1 "$stamp")" == "$sum" ]] && tail -n +2 "$stamp"; } \
            | awk '!seen[$0]++' >"$stamp.new"
        mv -f -- "$stamp.new" "$stamp"
    fi
}
