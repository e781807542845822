"""Is HOST:PORT free to serve on? `make run` asks before migrating (exit 1 with a message if not).

Usage: python scripts/port_free.py HOST PORT
"""

import socket
import sys


def port_problem(host: str, port_text: str) -> str | None:
    """None when a server could listen on host:port, else a bilingual message saying why not."""
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return (
            f"端口“{port_text}”无效，应为 1–65535 之间的数字。 / "
            f"Port '{port_text}' is not valid: use a number from 1 to 65535."
        )
    port = int(port_text)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return f"无法识别地址“{host}”。 / Unknown address '{host}'."
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        # as runserver does: a port left in TIME_WAIT by a stopped server is free to use
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except PermissionError:
            return (
                f"没有权限使用端口 {port}（1024 以下的端口需要管理员权限），请换一个端口，"
                f"例如 make run PORT=8001。 / No permission to use port {port}; "
                f"choose another, e.g. make run PORT=8001."
            )
        except OSError:
            return (
                f"端口 {port} 已被占用（{host}）：可能另一个服务器正在运行。请先停止它，"
                f"或换一个端口，例如 make run PORT={port + 1 if port < 65535 else 8001}。 / "
                f"Port {port} on {host} is already in use (another server may be running). "
                f"Stop it or choose another port, e.g. make run PORT="
                f"{port + 1 if port < 65535 else 8001}."
            )
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    problem = port_problem(argv[1], argv[2])
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
