"""A fast SMTP sink for benchmarks: accepts every message and counts it, without parsing it.

    python bench/smtp_sink.py PORT

aiosmtpd parses each message into an envelope and runs its handler: ~450 messages/s on this
machine however many connections send to it, which would measure aiosmtpd, not the sender. This
sink speaks just enough SMTP for smtplib (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; commands pipelined as
RFC 2920 allows, which it offers, are answered in order, in one write), finds
the end of a message with one search per received chunk, and answers the extra command `XCOUNT`
with the number of messages it accepted, so a benchmark can prove every email arrived.
"""
from __future__ import annotations

import asyncio
import sys

REPLIES = {b"MAIL": b"250 OK\r\n", b"RCPT": b"250 OK\r\n", b"RSET": b"250 OK\r\n", b"NOOP": b"250 OK\r\n",
           b"HELO": b"250 sink\r\n", b"EHLO": b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n", b"DATA": b"354 End data with .\r\n"}
END_OF_DATA = b"\r\n.\r\n"


class Sink(asyncio.Protocol):
    """One SMTP session: commands line by line, message data up to the lone dot."""

    accepted = 0  # messages accepted by every session of this process

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""
        self.in_data = False
        self.transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        """Answer every command and message `data` completes, the replies in one write: a server answering pipelined
        commands holds its replies until it has read all the client sent, as Postfix does."""
        replies: list[bytes] = []
        self.answer(data, replies)
        if replies:
            self.transport.write(b"".join(replies))

    def answer(self, data: bytes, replies: list[bytes]) -> None:
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(END_OF_DATA)
                if end < 0:
                    return
                self.buffer = self.buffer[end + len(END_OF_DATA):]
                self.in_data = False
                Sink.accepted += 1
                replies.append(b"250 Accepted\r\n")
                continue
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                return
            verb = self.buffer[:4].upper()
            self.buffer = self.buffer[line_end + 2:]
            if verb == b"QUIT":
                self.transport.write(b"".join(replies) + b"221 Bye\r\n")
                replies.clear()
                self.transport.close()
                return
            if verb == b"XCOU":
                replies.append(f"250 {Sink.accepted}\r\n".encode())
                continue
            replies.append(REPLIES.get(verb, b"502 Not implemented\r\n"))
            if verb == b"DATA":
                self.in_data = True
                self.buffer = b"\r\n" + self.buffer  # the data's first line may itself be the lone dot


async def serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
