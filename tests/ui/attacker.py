"""What an attacker on the network has: raw HTTP and WebSocket clients against the real app.

:func:`serve` starts ``chainrisk ui --policy`` (the real command: the gate in front of
Streamlit) on a free loopback port. :func:`http` sends one request with the standard
library's client, cookies and headers as given (nothing added). :class:`Stream`
speaks Streamlit's WebSocket protocol with the ``websockets`` client: it asks for a
run of a page and collects what the server sends back (protobuf ForwardMsgs).
"""

from __future__ import annotations

import http.client as httpclient
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

START_SECONDS = 120.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running app: its address, its log file and its process."""

    port: int
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return self.base

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve(store: Path, policy: Path | None, home: Path,
          env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """Run the app on a free port until the block ends (the real ``chainrisk ui`` command)."""
    port = free_port()
    log_path = home / "server.log"
    full = {**os.environ, "CHAINRISK_STORE": f"sqlite:///{store}", "CHAINRISK_LANG": "en",
            "HOME": str(home), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", **(env or {})}
    full.pop("CHAINRISK_POLICY", None)
    if policy is not None:
        full["CHAINRISK_POLICY"] = str(policy)
    args = [str(Path(sys.executable).with_name("chainrisk")), "ui", "--port", str(port)]
    with log_path.open("w") as log:
        process = subprocess.Popen(args, env=full, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = Server(port, log_path, process)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{server.base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the app did not start:\n" + server.log()[-3000:])
            time.sleep(0.25)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()




@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    set_cookies: dict[str, str] = field(default_factory=dict)
    cookie_lines: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def http(server: Server, method: str, path: str, *, cookies: Mapping[str, str] | None = None,
         headers: Mapping[str, str] | None = None, body: bytes = b"",
         timeout: float = 60.0) -> Reply:
    """Send one raw request; return the reply (redirects are not followed)."""
    conn = httpclient.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        sent = dict(headers or {})
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        conn.request(method, path, body=body or None, headers=sent)
        response = conn.getresponse()
        data = response.read()
        lines = response.msg.get_all("set-cookie") or []
        jar: SimpleCookie = SimpleCookie()
        for line in lines:
            jar.load(line)
        return Reply(response.status, list(response.getheaders()), data,
                     {k: m.value for k, m in jar.items()}, list(lines))
    finally:
        conn.close()


def form_token(server: Server, cookies: dict[str, str]) -> str:
    """Open the sign-in form (as a browser does) and return its anti-forgery token."""
    reply = http(server, "GET", "/chainrisk/signin", cookies=cookies)
    assert reply.status == 200, reply.status
    cookies.update(reply.set_cookies)
    match = re.search(r'name=csrf value="([^"]+)"', reply.text)
    assert match, reply.text[:500]
    return match[1]


def sign_in(server: Server, user: str, password: str, *, client: str | None = None,
            cookies: dict[str, str] | None = None, next_path: str = "/") -> Reply:
    """Sign in through the form; the reply's ``set_cookies`` hold the session cookie."""
    jar = cookies if cookies is not None else {}
    token = form_token(server, jar)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": server.origin}
    if client:
        headers["X-Forwarded-For"] = client
    body = urlencode({"csrf": token, "user": user, "password": password,
                      "next": next_path}).encode()
    return http(server, "POST", "/chainrisk/signin", cookies=jar, headers=headers, body=body)


def session_cookie(server: Server, user: str, password: str) -> dict[str, str]:
    """Return the cookies of a fresh sign-in of ``user`` (fails the test when refused)."""
    reply = sign_in(server, user, password)
    assert reply.status == 303, (reply.status, reply.text[:300])
    assert "chainrisk_session" in reply.set_cookies
    return {"chainrisk_session": reply.set_cookies["chainrisk_session"]}


class Refused(Exception):
    """The WebSocket handshake was refused (``status``) or the server closed it (``code``)."""

    def __init__(self, status: int | None = None, code: int | None = None) -> None:
        super().__init__(f"refused: status {status}, close code {code}")
        self.status = status
        self.code = code


class Stream:
    """One WebSocket to ``/_stcore/stream``, speaking Streamlit's protocol."""

    def __init__(self, server: Server, cookies: Mapping[str, str] | None = None,
                 session_id: str | None = None, origin: str | None = None) -> None:
        from websockets.exceptions import InvalidStatus
        from websockets.sync.client import connect
        from websockets.typing import Subprotocol

        names = ["streamlit", "none", session_id] if session_id else ["streamlit"]
        protocols = [Subprotocol(p) for p in names]
        headers = {"Origin": origin or server.origin}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        try:
            self.ws = connect(f"ws://127.0.0.1:{server.port}/_stcore/stream",
                              subprotocols=protocols,
                              additional_headers=headers, open_timeout=30, max_size=None,
                              legacy=True)
        except InvalidStatus as e:
            raise Refused(status=e.response.status_code) from None
        self.session_id: str | None = None
        self.messages: list[Any] = []

    def run(self, page: str = "", query: str = "", timeout: float = 120.0) -> list[Any]:
        """Ask for a run of ``page`` and return the ForwardMsgs until it finished."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        from websockets.exceptions import ConnectionClosed

        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        self.ws.send(msg.SerializeToString())
        got: list[Any] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                raw = self.ws.recv(timeout=deadline - time.monotonic())
            except ConnectionClosed as e:
                raise Refused(code=e.rcvd.code if e.rcvd else None) from None
            fwd = ForwardMsg()
            fwd.ParseFromString(raw if isinstance(raw, bytes) else raw.encode())
            got.append(fwd)
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                self.session_id = fwd.new_session.initialize.session_id
            if kind == "script_finished":
                break
        self.messages += got
        return got

    def send_raw(self, data: bytes) -> None:
        self.ws.send(data)

    def wait_closed(self, timeout: float) -> int | None:
        """Read until the server closes the socket; return its close code (None: still open)."""
        from websockets.exceptions import ConnectionClosed

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                return None
            except ConnectionClosed as e:
                return e.rcvd.code if e.rcvd else 1006
        return None

    def close(self) -> None:
        self.ws.close()


def texts(messages: list[Any]) -> str:
    """Return every string inside the ForwardMsgs (what a page drew), joined."""
    out: list[str] = []

    def walk(proto: Any) -> None:
        for fd, value in proto.ListFields():
            items = list(value) if _repeated(fd, value) else [value]
            for item in items:
                if fd.type == fd.TYPE_MESSAGE:
                    if hasattr(item, "ListFields"):
                        walk(item)
                elif fd.type == fd.TYPE_STRING:
                    out.append(item)
                elif fd.type == fd.TYPE_BYTES:
                    out.append(item.decode("utf-8", "replace"))

    for m in messages:
        walk(m)
    return "\n".join(out)


def _repeated(fd: Any, value: Any) -> bool:
    flag = getattr(fd, "is_repeated", None)
    if flag is not None:
        return bool(flag)
    return not isinstance(value, (str, bytes)) and hasattr(value, "__len__") and not hasattr(
        value, "ListFields")


def download_ids(messages: list[Any]) -> list[str]:
    """Return the deferred file ids of the download buttons the ForwardMsgs drew."""
    ids: list[str] = []
    for m in messages:
        if m.WhichOneof("type") != "delta":
            continue
        element = m.delta.new_element
        button = element.download_button
        if element.WhichOneof("type") == "download_button" and button.deferred_file_id:
            ids.append(button.deferred_file_id)
    return ids


def click_download(stream: Stream, file_id: str, timeout: float = 120.0) -> str:
    """Ask the server to make a deferred download (as a click does); return the file's URL."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = BackMsg()
    msg.backend_operation_request.request_id = "attack-1"
    msg.backend_operation_request.session_id = stream.session_id or ""
    msg.backend_operation_request.deferred_file.file_id = file_id
    stream.ws.send(msg.SerializeToString())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        raw = stream.ws.recv(timeout=deadline - time.monotonic())
        fwd = ForwardMsg()
        fwd.ParseFromString(raw if isinstance(raw, bytes) else raw.encode())
        if fwd.WhichOneof("type") == "backend_operation_response":
            reply = fwd.backend_operation_response
            assert not reply.error_msg, reply.error_msg
            return str(reply.deferred_file.url)
    raise TimeoutError("no answer to the download request")


def rss_kib(pid: int) -> int:
    """Return the resident memory of ``pid`` and its descendants, in KiB."""
    total = 0
    for p in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(Path(entry, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out
