"""The engines that run :func:`~fer_sdk.batch.work.process_source` over a corpus: in this process, or on Ray Data.

Both yield one result per source as it completes; the caller writes them. A source (an
image or a whole video) is the unit of work: a video is read by one worker from its
first frame to its last, so its frames stay in order and its face tracks hold.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np

from fer_sdk.batch.sources import Source
from fer_sdk.batch.work import BatchOptions, make_recognizer, process_source
from fer_sdk.errors import FerSdkError

__all__ = ["RayWorker", "import_ray", "local_results", "ray_results"]

log = logging.getLogger(__name__)


def local_results(recognizer: Any, sources: Sequence[Source], options: BatchOptions) -> Iterator[dict[str, Any]]:
    """Process the sources one after another in this process, with one recognizer."""
    for source in sources:
        yield process_source(recognizer, source, options)


def import_ray() -> Any:
    """Import Ray for the ``ray`` engine, or say which extra to install."""
    # A Ray this process starts listens on the loopback interface only (see ray_results); the flag must be set
    # before Ray is imported. Ray's usage statistics are never sent.
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        # Ray Data's actor pool makes Ray's core log a note on every actor start; fer-sdk -v shows them
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
    try:
        import ray
        import ray.data
    except ImportError:
        raise FerSdkError("the ray engine needs Ray Data: pip install 'fer_sdk[ray]'") from None
    if logging.getLogger().getEffectiveLevel() > logging.INFO:  # Ray Data's notes only with fer-sdk -v
        for handler in logging.getLogger("ray.data").handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                handler.setLevel(logging.ERROR)
    return ray


class RayWorker:
    """A Ray Data actor: builds and loads one recognizer when it starts, then processes batches of sources.

    Ray Data calls it with a batch ``{"path": [...], "kind": [...]}`` and gets
    ``{"result": [...]}``: each source's result as JSON text. A run uses a subclass
    made by :meth:`configured`, which carries the options (rather than constructor
    arguments, which Ray would keep in its object store for restarts).
    """

    OPTIONS: ClassVar[dict[str, Any]] = {}
    THREADS: ClassVar[int] = 0

    @classmethod
    def configured(cls, options: BatchOptions, threads: int) -> type[RayWorker]:
        """A subclass whose actors build the recognizer ``options`` describe, with ``threads`` threads."""
        return type("FerSdkWorker", (cls,), {"OPTIONS": options.model_dump(mode="json"), "THREADS": threads})

    def __init__(self) -> None:
        threads = self.THREADS
        if threads > 0:  # one actor per core: keep TensorFlow and OpenCV to the actor's share of the machine
            os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(threads))
            os.environ.setdefault("TF_NUM_INTEROP_THREADS", str(min(threads, 2)))
            import cv2

            cv2.setNumThreads(threads)
        self.options = BatchOptions.model_validate(self.OPTIONS)
        self.recognizer = make_recognizer(self.options).warmup()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = [
            json.dumps(process_source(self.recognizer, Source(str(path), str(kind)), self.options))  # type: ignore[arg-type]
            for path, kind in zip(batch["path"], batch["kind"], strict=True)
        ]
        return {"result": np.array(out, dtype=object)}


def _start_or_connect(ray: Any, address: str | None, num_cpus: int | None) -> bool:
    """Connect to the cluster at ``address``, or start a local Ray on the loopback interface. True when started."""
    if ray.is_initialized():
        return False
    verbose = logging.getLogger().getEffectiveLevel() <= logging.INFO
    quiet = {
        "log_to_driver": verbose,
        "configure_logging": True,
        "logging_level": logging.INFO if verbose else logging.ERROR,
    }
    if address is None:
        # Ray binds a node to the machine's address unless clusters are off (its macOS/Windows mode): a Ray this
        # run starts for itself listens on 127.0.0.1 only, also when Ray was imported before this flag was set
        constants = getattr(getattr(ray, "_private", None), "ray_constants", None)
        saved = getattr(constants, "ENABLE_RAY_CLUSTER", None)
        if saved is not None:
            constants.ENABLE_RAY_CLUSTER = False  # type: ignore[union-attr]
        try:
            ray.init(
                num_cpus=num_cpus,
                include_dashboard=False,
                _node_ip_address="127.0.0.1",
                object_store_memory=256 * 1024**2,
                **quiet,
            )
        finally:
            if saved is not None:
                constants.ENABLE_RAY_CLUSTER = saved  # type: ignore[union-attr]
    else:
        ray.init(address=address, **quiet)
    return True


def ray_results(
    sources: Sequence[Source],
    options: BatchOptions,
    *,
    address: str | None = None,
    workers: int | None = None,
    cpus_per_worker: float = 1.0,
    gpus_per_worker: float = 0.0,
    batch_size: int = 1,
    info: dict[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """Process the sources on Ray Data: a pool of :class:`RayWorker` actors over ``map_batches``.

    Args:
        address: a running cluster (``"auto"``, ``"HOST:PORT"`` or ``"ray://HOST:10001"``);
            ``None`` starts a local Ray on 127.0.0.1 for this run and stops it afterwards.
            In a process where Ray is already initialised, that Ray is used.
        workers: actors in the pool (default: one per CPU, or per GPU with ``gpus_per_worker``).
        cpus_per_worker: CPUs each actor reserves (and its TensorFlow and OpenCV threads).
        gpus_per_worker: GPUs (or a share of one) each actor reserves.
        batch_size: sources per call of an actor.
        info: filled with ``cluster`` (the address of the Ray used) and ``workers``.
    """
    ray = import_ray()
    local_cpus = None
    if address is None and workers is not None:
        local_cpus = max(int(workers * cpus_per_worker + 0.999), 1)
    started = _start_or_connect(ray, address, local_cpus)
    try:
        resources = ray.cluster_resources()
        if workers is None:
            if gpus_per_worker > 0:
                workers = max(1, int(resources.get("GPU", 0) / gpus_per_worker))
            else:
                workers = max(1, int(resources.get("CPU", 1) / cpus_per_worker))
        if info is not None:
            info.update(cluster=ray.get_runtime_context().gcs_address, workers=workers)
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.print_on_execution_start = False
        items = [{"path": s.path, "kind": s.kind} for s in sources]
        # a block per source up to 10,000 sources (then a few per block): each result comes back on its own, and
        # no worker is left with a long tail of sources while the others are idle
        ds = ray.data.from_items(items, override_num_blocks=max(1, min(len(items), max(10_000, 4 * workers))))
        ds = ds.map_batches(
            RayWorker.configured(options, max(1, int(cpus_per_worker))),
            batch_size=batch_size,
            batch_format="numpy",
            # one call at a time per actor: a slow or stuck source holds up no other source queued behind it
            compute=ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=1),
            num_cpus=cpus_per_worker,
            num_gpus=gpus_per_worker or None,
        )
        # no prefetching: a result is taken as soon as it is ready, not after the ones submitted before it
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=0):
            for text in batch["result"]:
                yield json.loads(str(text))
    finally:
        if started:
            ray.shutdown()
