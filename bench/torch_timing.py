"""The timing loop and the reference's name shared by the PyTorch reference benchmarks (bench/lenet_torch.py, bench/rnn_torch.py)."""
import time
from typing import Callable, Tuple


def reference_name(version: str, threads: int) -> str:
    """The reference's name in the tables: PyTorch's version, its threads and the BLAS it loaded.

    Debian's python3-torch takes whichever libblas.so.3 is installed: the reference BLAS (libblas3) makes its
    matrix products several times slower (an LSTM step 79 ms instead of 21 ms with OpenBLAS), an unfair reference.
    """
    with open("/proc/self/maps") as maps:
        libs = maps.read()
    blas = "OpenBLAS" if "openblas" in libs.lower() else "BLIS" if "blis" in libs.lower() else \
        "reference BLAS, slow" if "/blas/libblas.so" in libs else "BLAS unknown"
    return f"pytorch {version} ({threads} thread{'s' if threads > 1 else ''}, {blas})"


def warm_up(step: Callable[[], None], times: int = 5) -> None:
    """Runs `step` a few times so allocations and lazy initialisation are out of the measurement."""
    for _ in range(times):
        step()


def time_steps(step: Callable[[], None], seconds: float, min_steps: int) -> Tuple[int, float, float]:
    """Runs `step` for about `seconds` (at least `min_steps` times); returns (steps, wall seconds, CPU seconds)."""
    n, start, cpu0 = 0, time.perf_counter(), time.process_time()
    while n < min_steps or time.perf_counter() - start < seconds:
        step()
        n += 1
    return n, time.perf_counter() - start, time.process_time() - cpu0
