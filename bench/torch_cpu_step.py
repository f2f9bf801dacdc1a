"""CPU time per step of the PyTorch peer (../shared/bench/torch_step.py's cases): time.process_time
around each step at the given threads (default 1), median after two warm-up steps.
  /usr/bin/python3 bench/torch_cpu_step.py resnet20-sgd-b128 [steps=3] [threads=1]
torch_step.py is looked for in ../../shared/bench beside the checkout, or in $TICKETLAB_TORCH_DIR
(git worktrees: TICKETLAB_TORCH_DIR=/work/shared/bench)."""
import json, os, resource, statistics, sys, time
sys.path.insert(0, os.environ.get("TICKETLAB_TORCH_DIR", os.path.join(os.path.dirname(__file__), "../../shared/bench")))
import torch
from torch_step import make

case = sys.argv[1] if len(sys.argv) > 1 else "resnet20-sgd-b128"
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
torch.set_num_threads(threads)
step = make(case)
for _ in range(2):
    step()
cpu, wall = [], []
for _ in range(steps):
    c, t = time.process_time(), time.perf_counter()
    step()
    cpu.append((time.process_time() - c) * 1e3); wall.append((time.perf_counter() - t) * 1e3)
print(json.dumps({"case": case, "cpu_ms_per_step": round(statistics.median(cpu)), "wall_ms_per_step": round(statistics.median(wall)),
                  "cpu_ms": [round(v) for v in cpu], "threads": threads, "torch": torch.__version__,
                  "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)}))
