"""`echoes workshop`: create, list, end and revoke workshop events (the workshops service).

    echoes workshop create --title T --start ISO --end ISO --seats N
                           [--cpu C] [--memory 2G] [--materials FOLDER|GIT_URL] [--keep-work]
    echoes workshop list
    echoes workshop end EVENT_ID
    echoes workshop revoke EVENT_ID
    echoes workshop credentials EVENT_ID PEOPLE.CSV [--output CREDENTIALS.CSV]

Prints each event's join link and code: attendees open the link and type the code.
`credentials` gives one account to each row (columns name, email) of a CSV file and
writes their one-time passwords as CSV (to standard output, or a file only you can read):
the service shows them this once.
Authenticates with a hub token: --token, $ECHOES_TOKEN or, inside a user server, its own
(echoes.hub finds the hub and the workshops service there). Trainers (the hub group
`trainers`) and administrators create events.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import httpx

from .hub import (
    Hub,
    ServiceUnavailable,
    add_hub_options,
    check_hub_options,
    hub_of,
    message_of,
    send,
)


class WorkshopError(Exception):
    pass


def request(http: httpx.Client, method: str, url: str, body: dict | None = None) -> dict:
    reply = send(http, method, url, json=body)
    if reply.is_error:
        raise WorkshopError(f"{method} {url}: {reply.status_code} {message_of(reply)}")
    return reply.json() if reply.content else {}


def write_credentials(http: httpx.Client, url: str, args: argparse.Namespace) -> None:
    """Upload the CSV of people; write the credentials the service answers (CSV)."""
    reply = send(
        http,
        "POST",
        url,
        content=args.people.read_bytes(),
        headers={"Content-Type": "text/csv", "Accept": "text/csv"},
    )
    if reply.is_error:
        raise WorkshopError(f"POST {url}: {reply.status_code} {message_of(reply)}")
    if args.output is None:
        sys.stdout.write(reply.text)
        return
    # Passwords: readable by the trainer only, from the first byte written.
    fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="") as out:
        out.write(reply.text)
    print(f"{reply.text.count(chr(10)) - 1} credentials written to {args.output}")


def describe(event: dict) -> str:
    return (
        f"{event['id']}  {event['title']}  {event['start']} to {event['end']}  "
        f"seats {event['taken']}/{event['seats']}  {event['state']}\n"
        f"    join: {event['join_url']}  code: {event['code']}"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    here = Hub.from_environ()
    parser = argparse.ArgumentParser(
        prog="echoes workshop",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_hub_options(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create an event")
    create.add_argument("--title", required=True)
    create.add_argument("--start", required=True, help="ISO 8601, UTC without a zone")
    create.add_argument("--end", required=True, help="ISO 8601, UTC without a zone")
    create.add_argument("--seats", type=int, required=True)
    create.add_argument("--cpu", type=float, help="CPUs per attendee (default 1)")
    create.add_argument("--memory", help="memory per attendee, e.g. 2G (default 1G)")
    create.add_argument("--materials", help="a folder in your home, or an https git URL")
    create.add_argument(
        "--keep-work", action="store_true", help="attendees keep their work after the end"
    )
    commands.add_parser("list", help="your events (administrators: all)")
    end = commands.add_parser("end", help="end an open event now, as at its end time")
    end.add_argument("event", help="the event's id")
    revoke = commands.add_parser("revoke", help="close an event's code and end its sessions")
    revoke.add_argument("event", help="the event's id")
    credentials = commands.add_parser("credentials", help="accounts for a CSV of people")
    credentials.add_argument("event", help="the event's id")
    credentials.add_argument("people", type=Path, help="CSV file with columns name, email")
    credentials.add_argument("--output", type=Path, help="write the credentials' CSV here")
    args = parser.parse_args(argv)
    check_hub_options(parser, args, here.services.get("workshops", ""))
    return args


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    hub = hub_of(args)
    with hub.client() as http:
        try:
            events = hub.service_url("workshops") + "api/events"
            if args.command == "create":
                given = {
                    "title": args.title,
                    "start": args.start,
                    "end": args.end,
                    "seats": args.seats,
                    "cpu": args.cpu,
                    "memory": args.memory,
                    "materials": args.materials,
                    "keep_work": args.keep_work,
                }
                body = {k: v for k, v in given.items() if v is not None}
                print(describe(request(http, "POST", events, body)))
            elif args.command == "list":
                for event in request(http, "GET", events)["events"]:
                    print(describe(event))
            elif args.command == "credentials":
                write_credentials(http, f"{events}/{args.event}/credentials", args)
            elif args.command == "end":
                print(describe(request(http, "POST", f"{events}/{args.event}/end")))
            else:
                print(describe(request(http, "DELETE", f"{events}/{args.event}")))
        except (WorkshopError, ServiceUnavailable, OSError) as e:
            sys.exit(f"echoes workshop: {e}")
