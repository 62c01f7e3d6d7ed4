"""Data-parallel training of an MLP on scikit-learn's digits over MPI ranks.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 mpiexec -n 2 python examples/distributed_digits.py

Each rank holds a full copy of the model and trains on its own share of every
epoch (`DistributedSampler`); `DistributedDataParallel` averages the gradients
during backward, so after each step every rank holds the same parameters -- the
step of one process on the combined batch.  Rank 0 writes the checkpoint and the
plot; the checkpoint then loads into a plain model in a single process.
Started without mpiexec, the script is a world of one and trains alone.
"""
import os

# One BLAS/Numba thread per rank, set before numpy loads: two ranks with two threads
# each on a 2-core machine spend their time descheduling each other.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

import autograd_core as ag  # noqa: E402
import autograd_core.distributed as dist  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402
import _common  # noqa: E402
from _common import parse_args, progress, pyplot, require, save_figure  # noqa: E402
from autograd_core.data import DataLoader, DistributedSampler, TensorDataset  # noqa: E402


def load_data(seed=0):
    """Digits scaled to [0, 1], split 75/25 (the same split on every rank: same seed)."""
    require("sklearn")  # a clear message if the examples extra is missing
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    return train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)


def make_model():
    """The MLP 64-256-128-10 (the same on every rank and in the single-process reload)."""
    return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def accuracy(model, X, y):
    """Test accuracy, each rank scoring every world_size-th sample, summed over ranks."""
    rank, world = dist.get_rank(), dist.get_world_size()
    model.eval()
    with ag.no_grad():
        predictions = model(ag.tensor(X[rank::world])).argmax(dim=1).numpy()
    model.train()
    counts = ag.tensor([float((predictions == y[rank::world]).sum()), float(len(predictions))], dtype=ag.float64)
    dist.all_reduce(counts)   # every rank gets the totals
    return counts[0].item() / counts[1].item()


def main(quick=False, plot=True):
    """Train on every rank of the process group; rank 0 reports, checkpoints and plots."""
    dist.init_process_group(backend="mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    ag.manual_seed(rank)   # deliberately different: DDP copies rank 0's initial parameters to everyone
    X_train, X_test, y_train, y_test = load_data()
    train_set = TensorDataset(ag.tensor(X_train), ag.tensor(y_train))
    sampler = DistributedSampler(train_set, shuffle=True, seed=0)
    per_rank_batch = 64 // world   # a global batch of 64, whatever the number of ranks
    loader = DataLoader(train_set, batch_size=per_rank_batch, sampler=sampler)

    model = nn.parallel.DistributedDataParallel(make_model())
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    epochs = 2 if quick else 30
    losses, accuracies = [], []
    samples, train_seconds = 0, 0.0
    for epoch in progress(range(epochs), desc=f"{world} rank(s)", disable=rank != 0):   # a bar on rank 0
        sampler.set_epoch(epoch)   # a new order each epoch, the same on every rank
        started = time.perf_counter()
        total = ag.zeros(2, dtype=ag.float64)
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()       # gradients are averaged over the ranks in here
            optimizer.step()
            total += ag.tensor([loss.item() * len(yb), len(yb)], dtype=ag.float64)
        train_seconds += time.perf_counter() - started
        samples += int(total[1].item())
        dist.all_reduce(total)
        losses.append(total[0].item() / total[1].item())
        accuracies.append(accuracy(model.module, X_test, y_test))

    # Per-rank throughput, gathered so that rank 0 prints one table.
    mine = ag.tensor([samples / train_seconds], dtype=ag.float64)
    rates = [ag.zeros(1, dtype=ag.float64) for _ in range(world)]
    dist.all_gather(rates, mine)
    final_accuracy = accuracies[-1]
    checkpoint = os.path.join(_common.OUTPUT_DIR, "distributed_digits.safetensors")
    if rank == 0:
        for other, rate in enumerate(rates):
            print(f"rank {other}: {rate.item():8.0f} training samples/s")
        print(f"all {world} rank(s): {sum(r.item() for r in rates):8.0f} training samples/s")
        print(f"final test accuracy: {final_accuracy:.2%} (MLP 64-256-128-10, {epochs} epochs, {world} rank(s))")
        os.makedirs(_common.OUTPUT_DIR, exist_ok=True)
        ag.save(model.module.state_dict(), checkpoint)   # .module: keys without the "module." prefix
    dist.barrier()   # the checkpoint is complete before anyone reads it

    reloaded_accuracy = None
    if rank == 0:
        # What a single process does later: a plain model, no process group needed.
        single = make_model()
        single.load_state_dict(ag.load(checkpoint))
        single.eval()
        with ag.no_grad():
            predictions = single(ag.tensor(X_test)).argmax(dim=1).numpy()
        reloaded_accuracy = float((predictions == y_test).mean())
        print(f"checkpoint {os.path.relpath(checkpoint)} reloaded in one process: "
              f"test accuracy {reloaded_accuracy:.2%}")
        if plot:
            plt = pyplot()
            figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
            left.plot(range(1, epochs + 1), losses)
            left.set_xlabel("epoch")
            left.set_ylabel("training cross-entropy")
            left.set_title("mean over ranks", fontsize=9)
            left.set_yscale("log")
            right.plot(range(1, epochs + 1), accuracies, color="C1", label=f"final {final_accuracy:.1%}")
            right.set_xlabel("epoch")
            right.set_ylabel("test accuracy")
            right.legend(loc="lower right")
            figure.suptitle(f"Digits, DistributedDataParallel on {world} MPI rank(s), global batch 64", y=1.02)
            print("plot saved to", save_figure(figure, "distributed_digits"))
    dist.destroy_process_group()
    return {"rank": rank, "world": world, "accuracy": final_accuracy, "reloaded_accuracy": reloaded_accuracy,
            "losses": losses, "samples_per_second": [r.item() for r in rates]}


if __name__ == "__main__":
    args = parse_args(__doc__, needs=("sklearn",))
    main(quick=args.quick, plot=not args.no_plot)
