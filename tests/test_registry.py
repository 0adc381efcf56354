"""The registry's INDEX (which module registers which goal or builtin, for lazy loading)
must say exactly what the modules register."""
import subprocess
import sys
from pathlib import Path

from derive.derivers import registry
from derive.model import builtins as B

ROOT = Path(__file__).resolve().parent.parent


def test_index_matches_the_registrations():
    core = {name for name, b in B.BUILTINS.items() if b.fn.__module__ == "derive.model.builtins"}
    registry.load_all()
    registered = {name: d.fn.__module__ for name, d in registry.DERIVERS.items()}
    registered.update({name: b.fn.__module__ for name, b in B.BUILTINS.items() if name not in core})
    indexed = {name: f"derive.derivers.{module}" for name, module in registry.INDEX.items()}
    assert indexed == registered


def test_a_run_imports_only_the_families_it_uses():
    code = ("import sys, derive; derive.solve('problem \"p\" { f(w) = w^2\\n find gd(f, start = 1, lr = 0.1, steps = 1) }');"
            "print(sorted(m for m in sys.modules if m.startswith('derive.derivers.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert "derive.derivers.optimize" in out
    for family in ("layers", "matcalc", "attention", "kernels", "backprop"):
        assert f"derive.derivers.{family}'" not in out
