"""Run the registered networks' sandboxes on loopback until interrupted."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from connectors.sandbox import sandbox_api_class, sandbox_names, start_sandbox


class Command(BaseCommand):
    help = "Start every registered network's sandbox (local stand-ins for the real networks)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
        for network in sandbox_names():
            parser.add_argument(
                f"--{network}-port",
                type=int,
                default=sandbox_api_class(network).default_port,
                help=f"port for the {network} sandbox (0 picks a free one)",
            )
        parser.add_argument(
            "--seed-accounts",
            action="store_true",
            help="create the department's account on each network",
        )
        parser.add_argument(
            "--credentials-file",
            type=Path,
            help="with --seed-accounts: write the accounts' credentials here as JSON (mode 0600)",
        )
        parser.add_argument("--handle", default="cleanair", help="the seeded account's handle")
        parser.add_argument(
            "--display-name",
            default="Department for Clean Air",
            help="the seeded account's display name",
        )

    def handle(self, *args, **options):
        if options["credentials_file"] and not options["seed_accounts"]:
            raise CommandError("--credentials-file needs --seed-accounts")
        credentials_file = options["credentials_file"]
        if credentials_file:
            # A file left by an earlier run names servers that are gone: never let it be read.
            credentials_file.unlink(missing_ok=True)
        servers = {}
        try:
            for network in sandbox_names():
                port = options[f"{network}_port"]
                try:
                    servers[network] = start_sandbox(network, host=options["host"], port=port)
                except OSError as error:
                    raise CommandError(
                        f"cannot listen for the {network} sandbox on {options['host']}:{port}: {error}"
                    ) from error
                self.stdout.write(f"{network:9} {servers[network].base_url}")
            if options["seed_accounts"]:
                seeded = self._seed(servers, handle=options["handle"], name=options["display_name"])
                if credentials_file:
                    _write_private_json(credentials_file, seeded)
                    self.stdout.write(f"credentials written to {credentials_file}")
                else:
                    self.stdout.write(json.dumps(seeded, indent=2))
            self.stdout.write("sandboxes running (Ctrl+C to stop)")
            self.stdout.flush()
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            try:
                stop.wait()
            except KeyboardInterrupt:
                pass
        finally:
            for server in servers.values():
                server.stop()
            if credentials_file:
                credentials_file.unlink(missing_ok=True)

    def _seed(self, servers, *, handle: str, name: str) -> dict:
        seeded = {}
        for network, server in servers.items():
            account = server.state.create_account(handle=handle, display_name=name)
            seeded[network] = {
                "base_url": server.base_url,
                "account": {
                    "id": account.id,
                    "handle": account.handle,
                    "display_name": account.display_name,
                },
                "credentials": account.credentials,
            }
        return seeded


def _write_private_json(path: Path, data: dict) -> None:
    """Owner-only from creation, and renamed into place whole, so a reader polling for the
    file never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    os.replace(partial, path)
