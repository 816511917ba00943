"""Training and data loading on several processes: DistributedDataParallel (gloo, two local
ranks on 127.0.0.1) with a topological loss, also when one rank's diagram is empty; diagrams
computed in DataLoader workers (fork and spawn) equal the ones computed in the main process."""

from __future__ import annotations

import socket
import sys
import warnings

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.utils.data import DataLoader, Dataset

import topolayer as tl
from topolayer import losses

STEPS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _topological_loss(y: torch.Tensor) -> torch.Tensor:
    return losses.sum_barcode_lengths(tl.functional.cubical(y, 1), 1).sum()


def _train(rank: int, world: int, port: int, out: str, empty_rank: int, compiled: bool) -> None:
    """One rank: a small conv net trained by a topological loss on its output images."""
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world
    )
    try:
        torch.manual_seed(0)  # the same initial weights on every rank (DDP also broadcasts)
        net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.Conv2d(4, 1, 1))
        model = torch.nn.parallel.DistributedDataParallel(net)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        g = torch.Generator().manual_seed(100 + rank)
        # aot_eager captures the loss graph as Inductor would (custom op, fake kernel, gather)
        # without compiling C++, which would dominate the test's time.
        topo = torch.compile(_topological_loss, backend="aot_eager", fullgraph=True)
        bars_seen, gaps = [], []
        for _ in range(STEPS):
            x = torch.rand(2, 1, 8, 8, generator=g)
            if rank == empty_rank:
                x = torch.zeros_like(x)  # constant output images: no H1 bar at all
            y = model(x)[:, 0]
            bars_seen.append(len(tl.functional.cubical(y.detach(), 1).bars[1]))
            loss = topo(y) if compiled else _topological_loss(y)
            gaps.append(abs(loss.item() - _topological_loss(y.detach()).item()))
            opt.zero_grad()
            loss.backward()
            opt.step()
        flat = torch.cat([p.detach().reshape(-1) for p in net.parameters()])
        gathered = [torch.zeros_like(flat) for _ in range(world)]
        dist.all_gather(gathered, flat)
        torch.save({"params": gathered, "bars": bars_seen, "gaps": gaps}, f"{out}/rank{rank}.pt")
        dist.barrier()  # no rank tears gloo down while another still talks to it
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not built")
@pytest.mark.parametrize(
    "empty_rank,compiled",
    [(-1, False), (1, False), (1, True)],
    ids=["both_ranks_have_bars", "rank1_empty", "rank1_empty_compiled_loss"],
)
def test_ddp_with_a_topological_loss_keeps_ranks_identical(tmp_path, empty_rank, compiled):
    for attempt in range(2):
        args = (2, _free_port(), str(tmp_path), empty_rank, compiled)
        try:
            mp.spawn(_train, args=args, nprocs=2, join=True)
            break
        except mp.ProcessExitedException as err:
            # gloo's TCP transport can abort a rank (SIGABRT from a C++ exception on one of its
            # own threads) when a peer connects or closes at an unlucky moment on a loaded
            # machine (pytorch/pytorch#188266); a crash of ours would repeat on the second run.
            if attempt or err.signal_name != "SIGABRT":
                raise
            warnings.warn(f"retrying the DDP run once: {err}", stacklevel=1)
    results = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    params = results[0]["params"]
    torch.testing.assert_close(params[0], params[1], rtol=0, atol=0)  # identical across ranks
    torch.manual_seed(0)
    init = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.Conv2d(4, 1, 1))
    start = torch.cat([p.detach().reshape(-1) for p in init.parameters()])
    assert not torch.equal(params[0], start)  # training moved the weights
    assert all(g < 1e-6 for r in results for g in r["gaps"])  # compiled loss == eager loss
    if empty_rank >= 0:
        assert results[empty_rank]["bars"] == [0] * STEPS
        assert all(n > 0 for n in results[1 - empty_rank]["bars"])


def test_an_empty_diagram_still_reaches_every_parameter():
    """What DDP's reducer needs from the rank without bars: every parameter gets a gradient
    (zero), so the all-reduce is not left waiting for an unused parameter."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.Conv2d(4, 1, 1))
    dgm = tl.functional.cubical(net(torch.zeros(2, 1, 8, 8))[:, 0], 1)
    assert len(dgm.bars[1]) == 0
    loss = losses.sum_barcode_lengths(dgm, 1).sum()
    loss.backward()
    assert loss.item() == 0.0
    for p in net.parameters():
        assert p.grad is not None and torch.count_nonzero(p.grad) == 0


class _Images(Dataset):
    """Random images, each returned with its cubical diagram (computed in the worker)."""

    def __init__(self, n: int) -> None:
        self.x = torch.rand(n, 12, 12, generator=torch.Generator().manual_seed(3))

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int):
        return self.x[i], tl.functional.cubical(self.x[i], 1)


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_dataloader_workers_compute_diagrams(context):
    if context == "fork" and sys.platform != "linux":
        pytest.skip("fork is the default only on Linux")
    ds = _Images(10)
    tl.functional.cubical(torch.rand(2, 6, 6), 1)  # the parent's thread pool exists before fork
    loader = DataLoader(
        ds,
        batch_size=4,
        num_workers=2,
        collate_fn=tl.collate_diagrams,
        multiprocessing_context=context,
    )
    images = []
    for x, batch in loader:
        # (image, diagram) samples: images stacked by default_collate, diagrams batched.
        assert isinstance(batch, tl.DiagramBatch) and batch.batch_size == len(x)
        want = tl.functional.cubical(x, 1)
        for k in (0, 1):
            torch.testing.assert_close(batch.counts(k), want.counts(k))
            torch.testing.assert_close(batch.batch[k], want.batch[k])
            torch.testing.assert_close(
                torch.sort(batch.bars[k], 0).values, torch.sort(want.bars[k], 0).values
            )
        images.append(x)
    torch.testing.assert_close(torch.cat(images), ds.x)  # every sample once, in order
