"""Private networks of Linux network namespaces for the scale-out tests.

Each host is a namespace with its own loopback and addresses. Two bridges in the root
namespace join them: the *front* network (nginx, the app hosts and the test process) and the
*back* network (the app hosts, the job consumer and the database host; the test process too,
to inspect the database). Every address is a private 10.x one on interfaces made here; the
machine's own interfaces are never touched. Names carry a random tag, so clusters of parallel
test workers never meet.
"""

from __future__ import annotations

import os
import random
import secrets
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from tests.support.environment import STRICT, require_program

FRONT, BACK = "f", "b"


def run_ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


def require_namespaces() -> None:
    """Skip (or fail under strict mode) when this machine cannot make network namespaces."""
    require_program("ip")
    probe = f"osnprobe{secrets.token_hex(3)}"
    made = run_ip("netns", "add", probe, check=False)
    if made.returncode == 0:
        run_ip("netns", "del", probe, check=False)
        return
    message = f"cannot create network namespaces (needs root): {made.stderr.strip()}"
    if STRICT:
        pytest.fail(message)
    pytest.skip(message)


def _free_subnets() -> tuple[str, str]:
    """Two adjacent 10.x /24 prefixes (``10.a.b``, ``10.a.b+1``) no route here uses yet."""
    routes = run_ip("-4", "route", "show", "table", "all").stdout
    for _attempt in range(50):
        a, b = random.randint(64, 250), random.randrange(0, 254, 2)  # noqa: S311 - not secret
        front, back = f"10.{a}.{b}", f"10.{a}.{b + 1}"
        if f"{front}." not in routes and f"{back}." not in routes:
            return front, back
    raise RuntimeError("no free 10.x subnet for the test network")


@dataclass
class Network:
    """Namespaces ``<tag>-<host>`` on a front and a back bridge, torn down by ``destroy``."""

    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    hosts: dict[str, dict[str, str]] = field(default_factory=dict)  # host -> net -> address
    made_namespaces: list[str] = field(default_factory=list)
    made_links: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.front, self.back = _free_subnets()

    def namespace(self, host: str) -> str:
        return f"osn{self.tag}-{host}"

    def bridge(self, net: str) -> str:
        return f"o{self.tag}br{net}"

    def port(self, host: str, net: str) -> str:
        """The root-namespace end of a host's link to ``net`` (at most 15 characters)."""
        return f"o{self.tag}{host[0]}{host[-1]}{net}"

    def address(self, host: str, net: str = FRONT) -> str:
        return self.hosts[host][net]

    def create(self, layout: Mapping[str, Mapping[str, int]]) -> None:
        """Bridges with the root namespace at ``.1`` on both, then each host with its links:
        ``layout`` maps a host to ``{net: last octet}``."""
        for net, prefix in ((FRONT, self.front), (BACK, self.back)):
            run_ip("link", "add", self.bridge(net), "type", "bridge")
            self.made_links.append(self.bridge(net))
            run_ip("addr", "add", f"{prefix}.1/24", "dev", self.bridge(net))
            run_ip("link", "set", self.bridge(net), "up")
        for host, nets in layout.items():
            namespace = self.namespace(host)
            run_ip("netns", "add", namespace)
            self.made_namespaces.append(namespace)
            run_ip("-n", namespace, "link", "set", "lo", "up")
            self.hosts[host] = {}
            for net, octet in nets.items():
                self._link(host, net, octet)

    def _link(self, host: str, net: str, octet: int) -> None:
        outside, inside = self.port(host, net), f"eth{net}"
        prefix = self.front if net == FRONT else self.back
        namespace = self.namespace(host)
        run_ip("link", "add", outside, "type", "veth", "peer", "name", inside, "netns", namespace)
        self.made_links.append(outside)
        run_ip("link", "set", outside, "master", self.bridge(net), "up")
        run_ip("-n", namespace, "addr", "add", f"{prefix}.{octet}/24", "dev", inside)
        run_ip("-n", namespace, "link", "set", inside, "up")
        self.hosts[host][net] = f"{prefix}.{octet}"

    def cut(self, host: str, net: str = BACK) -> None:
        """Pull the cable: the host's packets to ``net`` are lost (its own end stays up)."""
        run_ip("link", "set", self.port(host, net), "down")

    def mend(self, host: str, net: str = BACK) -> None:
        run_ip("link", "set", self.port(host, net), "up")

    def spawn(
        self,
        host: str,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        log: IO[bytes],
        cwd: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """``command`` inside ``host``'s namespace, in a process group of its own."""
        return subprocess.Popen(
            ["ip", "netns", "exec", self.namespace(host), *command],
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
        )

    def destroy(self) -> None:
        for namespace in reversed(self.made_namespaces):
            _kill_everything_in(namespace)
            run_ip("netns", "del", namespace, check=False)
        for link in reversed(self.made_links):
            run_ip("link", "del", link, check=False)
        self.made_namespaces.clear()
        self.made_links.clear()


def _kill_everything_in(namespace: str) -> None:
    """SIGKILL whatever still runs in ``namespace`` (a process its owner failed to stop)."""
    found = run_ip("netns", "pids", namespace, check=False).stdout.split()
    for pid in found:
        try:
            os.kill(int(pid), 9)
        except (ProcessLookupError, ValueError):
            continue
