#!/usr/bin/python3
"""An independent Modbus TCP server for interoperability tests: pymodbus (Debian python3-pymodbus),
code nobody on calle wrote, serving the register map of calle's `modbus-led-luminaire` type.

Prints "port <n>" once listening on 127.0.0.1 (a free port it chose), then one line
"write holding <address> <value>" for every holding register the client writes, so a test sees
what landed from the server's side. Stops on SIGTERM or when stdin closes.
"""
import asyncio
import socket
import struct
import sys

from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.server import StartAsyncTcpServer


def words(fmt: str, value, low_first: bool):
    hi, lo = struct.unpack(">HH", struct.pack(fmt, value))
    return [lo, hi] if low_first else [hi, lo]


class ReportingBlock(ModbusSequentialDataBlock):
    def setValues(self, address, values):  # noqa: N802 (pymodbus' name)
        super().setValues(address, values)
        for i, v in enumerate(values if isinstance(values, list) else [values]):
            print(f"write holding {address + i} {v}", flush=True)


def main() -> None:
    # level 42.5 % (x0.1), fade 2.0 s (x0.1); power 57.25 W as f32 low word first;
    # energy 123.456 kWh as u32 high word first (x0.001).
    holding = ReportingBlock(0, [425, 20])
    inputs = ModbusSequentialDataBlock(
        0, words(">f", 57.25, True) + words(">I", 123456, False)
    )
    unit = ModbusSlaveContext(hr=holding, ir=inputs, zero_mode=True)
    context = ModbusServerContext(slaves={2: unit}, single=False)
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()

    async def serve():
        loop = asyncio.get_running_loop()
        server = asyncio.ensure_future(
            StartAsyncTcpServer(context=context, address=("127.0.0.1", port))
        )
        await asyncio.sleep(0.3)
        print(f"port {port}", flush=True)
        await loop.run_in_executor(None, sys.stdin.read)  # until stdin closes
        server.cancel()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
