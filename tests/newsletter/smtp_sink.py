"""A tiny loopback SMTP server that records what it receives (tests and bench/newsletter.py).

Enough of SMTP for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. `on_rcpt(address)`
may return a reply such as "451 4.3.0 try later" to refuse a recipient, or block to hold the
client mid-transaction. `on_data(recipients)` runs once a message is recorded (accepted) and
before the client hears "250": blocking there holds the client in the duplicate window.
"""

import re
import socketserver
import threading
from collections import Counter

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.I | re.M)


class SMTPSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *, keep_messages: bool = True, on_rcpt=None, on_data=None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.keep_messages = keep_messages
        self.on_rcpt = on_rcpt
        self.on_data = on_data
        self.lock = threading.Lock()
        self.count = 0
        self.by_recipient: Counter = Counter()
        self.messages: list[bytes] = []
        self._thread = None

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> "SMTPSink":
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def record(self, recipients: list[str], data: bytes) -> None:
        with self.lock:
            self.count += 1
            for address in recipients:
                self.by_recipient[address] += 1
            if self.keep_messages:
                self.messages.append(data)


class _Handler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        try:
            self._converse()
        except OSError:  # the client went away (a killed worker): nothing to record
            return

    def _converse(self):
        server: SMTPSink = self.server
        self.reply("220 sink.civicnet.test ESMTP")
        recipients: list[str] = []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode(errors="replace").strip()
            verb = command[:4].upper()
            if verb in {"EHLO", "HELO"}:
                self.wfile.write(b"250-sink.civicnet.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                self.wfile.flush()
            elif verb == "MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                address = command.split(":", 1)[1].strip().strip("<>").lower()
                refusal = server.on_rcpt(address) if server.on_rcpt else None
                if refusal:
                    self.reply(refusal)
                else:
                    recipients.append(address)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = self._read_data()
                if data is None:
                    return
                server.record(recipients, data)
                if server.on_data:
                    server.on_data(recipients)
                recipients = []
                self.reply("250 OK queued")
            elif verb == "RSET":
                recipients = []
                self.reply("250 OK")
            elif verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")

    def _read_data(self) -> bytes | None:
        buffer = bytearray()
        while True:
            chunk = self.rfile.read1(65536)
            if not chunk:
                return None
            buffer += chunk
            if buffer.endswith(b"\r\n.\r\n") or buffer == b".\r\n":
                return bytes(buffer[:-5])
