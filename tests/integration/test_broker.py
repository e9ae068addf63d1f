import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from streams.broker import EmbeddedBroker, ensure_topics, free_port, metadata_ok
from streams.settings import load_settings
from streams.topics import topic_specs
from tests.helpers import descendants

pytestmark = pytest.mark.integration


def test_metadata_probe_false_when_nothing_listens() -> None:
    assert metadata_ok("127.0.0.1", free_port()) is False


async def test_topics_created_with_their_partition_counts(
    broker: EmbeddedBroker, topic_prefix: str
) -> None:
    settings = load_settings(topic_prefix=topic_prefix, partitions=3)
    specs = topic_specs(settings)
    created = await ensure_topics(broker.bootstrap, specs)
    assert sorted(created) == sorted(s.name for s in specs)
    assert await ensure_topics(broker.bootstrap, specs) == []  # idempotent
    admin = AIOKafkaAdminClient(bootstrap_servers=broker.bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(
            [settings.topic("articles"), settings.topic("deadletter")]
        )
    finally:
        await admin.close()
    counts = {d["topic"]: len(d["partitions"]) for d in described}
    assert counts == {settings.topic("articles"): 3, settings.topic("deadletter"): 1}


async def test_produce_and_consume_roundtrip(broker: EmbeddedBroker, topic_prefix: str) -> None:
    topic = f"{topic_prefix}roundtrip"
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"hello", key=b"k")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=broker.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        msg = await asyncio.wait_for(consumer.getone(), 10)
    finally:
        await consumer.stop()
    assert (msg.key, msg.value) == (b"k", b"hello")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); read its state
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[1].split()[0] != "Z"


def test_broker_command_dies_with_parent_even_on_sigkill(tmp_path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streams", "broker", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while not metadata_ok("127.0.0.1", port):
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        assert time.monotonic() < deadline, "broker never became ready"
        time.sleep(0.05)
    children = descendants(proc.pid)
    assert children, "the broker command should run tansu as its child"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 5
    while any(_alive(c) for c in children):
        assert time.monotonic() < deadline, "tansu outlived its SIGKILLed parent"
        time.sleep(0.05)
    assert not metadata_ok("127.0.0.1", port)


async def test_true_ends_finds_the_whole_last_batch(
    broker: EmbeddedBroker, topic_prefix: str
) -> None:
    """Five records in one produce batch: whatever end the broker reports (Tansu 0.6: the
    batch's base offset + 1), ``true_ends`` reads the records and says 5 — what faust's
    table recovery and the poller's state load then read up to."""
    from aiokafka import TopicPartition

    from streams.kafka import true_ends
    from streams.topics import TopicSpec

    topic = f"{topic_prefix}ends"
    await ensure_topics(broker.bootstrap, [TopicSpec(topic, 1)])
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=50)
    await producer.start()
    try:
        batch = producer.create_batch()
        for i in range(5):
            batch.append(key=b"k%d" % i, value=b"v", timestamp=None)
        batch.close()
        await (await producer.send_batch(batch, topic, partition=0))
    finally:
        await producer.stop()
    tp = TopicPartition(topic, 0)
    consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=None)
    await consumer.start()
    try:
        reported = await consumer.end_offsets([tp])
    finally:
        await consumer.stop()
    assert reported[tp] in (1, 5)  # 1 on Tansu 0.6, 5 on Apache Kafka
    assert await true_ends([broker.bootstrap], dict(reported)) == {tp: 5}
    # an empty partition and a right answer stay as they are
    assert await true_ends([broker.bootstrap], {tp: 0}) == {tp: 0}
    assert await true_ends([broker.bootstrap], {tp: 5}) == {tp: 5}
